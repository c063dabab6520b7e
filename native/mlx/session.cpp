#include "session.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace cmdai::mlx_engine {

namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// The CPU backend computes fastest in float32; on a GPU the checkpoint's own dtype is kept.
mx::Dtype compute_dtype(const WeightMap & weights) {
    if (mx::default_device() == mx::Device::cpu)
        return mx::float32;
    auto norm = weights.find("model.norm.weight");
    return norm == weights.end() ? mx::float32 : norm->second.dtype();
}

Qwen2Model build_model(const LoadSpec & spec) {
    if (spec.weight_files.empty())
        throw std::runtime_error("no model*.safetensors file was given");
    auto weights = load_weights(spec.weight_files);
    Qwen2Model model(spec.config, weights, compute_dtype(weights));
    // Read every tensor now, so a damaged file fails the load instead of the first prompt.
    mx::eval(model.all_weights());
    return model;
}

}  // namespace

Session::Session(const LoadSpec & spec) :
    model_(build_model(spec)),
    caches_(model_.make_caches()),
    context_size_(spec.context_size),
    batch_size_(std::max(1, spec.batch_size)) {
    // One token through the whole model: weights whose shapes disagree with config.json fail
    // the load, with MLX's reason, instead of the first prompt.
    try {
        const int32_t probe = 0;
        mx::eval(model_.forward_last(mx::array(&probe, {1, 1}, mx::int32), caches_));
    } catch (const std::exception & e) {
        throw std::runtime_error(std::string("the weights do not fit config.json: ") + e.what());
    }
    for (auto & c : caches_)
        c.reset();
}

void Session::check_tokens(const int32_t * tokens, size_t count) const {
    const int32_t vocab = model_.config().vocab_size;
    for (size_t i = 0; i < count; ++i) {
        if (tokens[i] < 0 || tokens[i] >= vocab) {
            throw std::runtime_error("token id " + std::to_string(tokens[i]) +
                                     " is outside the model's vocabulary (0 to " + std::to_string(vocab - 1) +
                                     "); the tokenizer does not belong to these weights");
        }
    }
}

void Session::set_logits(const mx::array & logits) {
    mx::eval(logits);
    const float * data = logits.data<float>();
    logits_.assign(data, data + logits.size());
}

Session::PrefillResult Session::prefill(const std::vector<int32_t> & prompt) {
    if (prompt.empty())
        throw std::runtime_error("the prompt has no tokens");
    if (static_cast<int>(prompt.size()) > context_size_) {
        throw std::runtime_error("the prompt has " + std::to_string(prompt.size()) + " tokens but the context holds " +
                                 std::to_string(context_size_));
    }
    check_tokens(prompt.data(), prompt.size());
    const auto start = std::chrono::steady_clock::now();
    // Keep the common prefix, but always compute at least the last token: it yields the logits.
    size_t reused = 0;
    while (reused + 1 < prompt.size() && reused < cached_tokens_.size() && cached_tokens_[reused] == prompt[reused]) {
        ++reused;
    }
    // Rewinding is just moving the offset: later writes overwrite what lies beyond it.
    for (auto & c : caches_)
        c.offset = static_cast<int>(reused);
    cached_tokens_.assign(prompt.begin(), prompt.begin() + reused);

    size_t done = reused;
    // All chunks but the last only fill the cache; the last one also yields logits.
    while (prompt.size() - done > static_cast<size_t>(batch_size_)) {
        mx::array chunk(prompt.data() + done, {1, batch_size_}, mx::int32);
        model_.forward_last(chunk, caches_);
        std::vector<mx::array> state;
        for (auto & c : caches_) {
            state.push_back(*c.keys);
            state.push_back(*c.values);
        }
        mx::eval(state);
        done += batch_size_;
    }
    const int rest = static_cast<int>(prompt.size() - done);
    mx::array last_chunk(prompt.data() + done, {1, rest}, mx::int32);
    set_logits(model_.forward_last(last_chunk, caches_));
    cached_tokens_ = prompt;
    return {ms_since(start), static_cast<int>(reused)};
}

void Session::feed(int32_t token) {
    if (position() >= context_size_)
        throw std::runtime_error("the context is full");
    check_tokens(&token, 1);
    mx::array one(&token, {1, 1}, mx::int32);
    set_logits(model_.forward_last(one, caches_));
    cached_tokens_.push_back(token);
}

int32_t Session::sample(Sampler & sampler, const std::vector<int32_t> & allowed) const {
    if (logits_.empty())
        throw std::runtime_error("nothing to sample from: no prompt was computed");
    return sampler.sample(logits_.data(), static_cast<int32_t>(logits_.size()), allowed);
}

GenerateResult Session::generate(const GenerateSpec & spec, const std::atomic<bool> & abort,
                                 const std::function<void(int32_t)> & on_token) {
    GenerateResult result;
    if (abort.load()) {
        result.stop_reason = StopReason::kAbort;
        return result;
    }
    const auto prefilled = prefill(spec.prompt);
    result.timings.promptTokens = static_cast<int32_t>(spec.prompt.size());
    result.timings.promptMs = prefilled.ms;
    result.timings.cachedTokens = prefilled.reused_tokens;
    Sampler sampler(spec.sampling);
    const std::vector<int32_t> unconstrained;
    const auto start = std::chrono::steady_clock::now();
    result.stop_reason = StopReason::kLength;
    for (int i = 0; i < spec.max_tokens; ++i) {
        if (abort.load()) {
            result.stop_reason = StopReason::kAbort;
            break;
        }
        const int32_t token = sample(sampler, unconstrained);
        if (i == 0)
            result.timings.timeToFirstTokenMs = result.timings.promptMs + ms_since(start);
        if (std::find(spec.end_tokens.begin(), spec.end_tokens.end(), token) != spec.end_tokens.end()) {
            result.stop_reason = StopReason::kEndOfGeneration;
            break;
        }
        result.tokens.push_back(token);
        on_token(token);
        // The last token needs no logits after it; a full context ends the answer like max_tokens.
        if (i + 1 == spec.max_tokens || position() >= context_size_)
            break;
        feed(token);
    }
    result.timings.generatedTokens = static_cast<int32_t>(result.tokens.size());
    result.timings.generationMs = ms_since(start);
    return result;
}

}  // namespace cmdai::mlx_engine
