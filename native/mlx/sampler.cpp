#include "sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cmdai::mlx_engine {

Sampler::Sampler(const SamplingParams & params) :
    params_(params),
    rng_(params.has_seed ? params.seed : std::random_device{}()) {}

int32_t Sampler::sample(const float * logits, int32_t vocab_size, const std::vector<int32_t> & allowed) {
    if (params_.temperature <= 0.0f && allowed.empty()) {
        // Greedy over the whole vocabulary: no candidate list needed (the lowest id wins a tie).
        return static_cast<int32_t>(std::max_element(logits, logits + vocab_size) - logits);
    }
    candidates_.clear();
    if (allowed.empty()) {
        candidates_.reserve(vocab_size);
        for (int32_t id = 0; id < vocab_size; ++id)
            candidates_.push_back({id, logits[id]});
    } else {
        for (int32_t id : allowed) {
            if (id >= 0 && id < vocab_size)
                candidates_.push_back({id, logits[id]});
        }
    }
    if (candidates_.empty())
        return -1;

    auto by_logit = [](const Candidate & a, const Candidate & b) {
        return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
    };
    if (params_.temperature <= 0.0f) {
        return std::min_element(candidates_.begin(), candidates_.end(), by_logit)->id;
    }

    size_t keep = candidates_.size();
    if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < keep)
        keep = params_.top_k;
    std::partial_sort(candidates_.begin(), candidates_.begin() + keep, candidates_.end(), by_logit);
    candidates_.resize(keep);

    // Probabilities of the untempered distribution decide what top-p and min-p keep.
    const float max_logit = candidates_.front().logit;
    std::vector<double> probs(keep);
    double total = 0.0;
    for (size_t i = 0; i < keep; ++i)
        total += probs[i] = std::exp(double(candidates_[i].logit) - max_logit);
    for (auto & p : probs)
        p /= total;

    if (params_.top_p < 1.0f) {
        double cumulative = 0.0;
        size_t n = 0;
        while (n < keep) {
            cumulative += probs[n++];
            if (cumulative >= params_.top_p)
                break;
        }
        keep = std::max<size_t>(n, 1);
    }
    if (params_.min_p > 0.0f) {
        const double floor = probs[0] * params_.min_p;
        size_t n = 1;
        while (n < keep && probs[n] >= floor)
            ++n;
        keep = n;
    }

    std::vector<double> weights(keep);
    for (size_t i = 0; i < keep; ++i) {
        weights[i] = std::exp((double(candidates_[i].logit) - max_logit) / params_.temperature);
    }
    std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
    return candidates_[pick(rng_)].id;
}

}  // namespace cmdai::mlx_engine
