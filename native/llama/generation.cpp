#include "generation.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "text-stream.h"

namespace cmdai {

namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct BatchDeleter {
    void operator()(llama_batch * batch) const {
        llama_batch_free(*batch);
        delete batch;
    }
};
using BatchPtr = std::unique_ptr<llama_batch, BatchDeleter>;

std::string TokenPiece(const llama_vocab * vocab, llama_token token) {
    std::string piece(64, '\0');
    int32_t n = llama_token_to_piece(vocab, token, piece.data(), static_cast<int32_t>(piece.size()), 0, true);
    if (n < 0) {
        piece.resize(static_cast<size_t>(-n));
        n = llama_token_to_piece(vocab, token, piece.data(), static_cast<int32_t>(piece.size()), 0, true);
    }
    piece.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return piece;
}

// Decodes `count` tokens at positions kvTokens.size()..; only the last one gets logits, and
// only if asked. kvTokens grows by exactly what landed in the KV cache. Returns llama_decode's
// status: 0 done, 2 aborted, anything else a failure.
int32_t DecodeTokens(llama_context * ctx, llama_batch & batch, const llama_token * tokens, size_t count,
                     bool logitsForLast, std::vector<llama_token> & kvTokens) {
    const size_t capacity = llama_n_batch(ctx);
    for (size_t start = 0; start < count; start += capacity) {
        const size_t end = std::min(count, start + capacity);
        const llama_pos firstPos = static_cast<llama_pos>(kvTokens.size());
        batch.n_tokens = 0;
        for (size_t i = start; i < end; i++) {
            const int32_t j = batch.n_tokens++;
            batch.token[j] = tokens[i];
            batch.pos[j] = firstPos + static_cast<llama_pos>(i - start);
            batch.n_seq_id[j] = 1;
            batch.seq_id[j][0] = 0;
            batch.logits[j] = logitsForLast && i == count - 1;
        }
        const int32_t status = llama_decode(ctx, batch);
        if (status != 0) {
            // An abort or failure may leave part of this batch behind; drop it so kvTokens
            // stays an exact description of the cache.
            llama_memory_seq_rm(llama_get_memory(ctx), 0, firstPos, -1);
            return status;
        }
        kvTokens.insert(kvTokens.end(), tokens + start, tokens + end);
    }
    return 0;
}

std::string DecodeFailure(int32_t status) {
    switch (status) {
        case 1:
            return "the context has no room left for these tokens (llama_decode returned 1)";
        case -1:
            return "llama.cpp rejected the batch as invalid (llama_decode returned -1)";
        default:
            return "llama.cpp failed to evaluate the model (llama_decode returned " + std::to_string(status) + ")";
    }
}

constexpr int32_t kDecodeAborted = 2;

}  // namespace

void Generate(const GenerationTarget & target, SequenceCache & cache, const GenerationRequest & request,
              const std::atomic<bool> & abortRequested, const std::function<void(const std::string &)> & onText,
              GenerationResult & result) {
    const auto started = Clock::now();
    llama_context * ctx = target.ctx;
    const std::vector<llama_token> & prompt = request.prompt;
    const size_t contextSize = llama_n_ctx(ctx);
    if (prompt.empty()) {
        throw GenerationError("USAGE", "the prompt is empty");
    }
    if (prompt.size() >= contextSize) {
        throw GenerationError(
            "USAGE", "the prompt is " + std::to_string(prompt.size()) + " tokens but the context holds " +
                         std::to_string(contextSize) +
                         " including the reply; shorten the prompt or load the model with a larger contextSize");
    }
    if (request.answerLength >= prompt.size()) {
        throw GenerationError("USAGE", "the answer prefix takes the whole prompt; the prompt must come before it");
    }
    // Built first so that a bad grammar (or an answer prefix it does not allow) fails before any
    // work is done.
    TokenSampler sampler(target.vocab, request.sampling);
    for (size_t i = prompt.size() - request.answerLength; i < prompt.size(); i++) {
        if (!sampler.Force(prompt[i])) {
            throw GenerationError("USAGE", "the answer prefix does not fit the grammar (at its token " +
                                               std::to_string(i - (prompt.size() - request.answerLength)) + ")");
        }
    }
    BatchPtr batch(new llama_batch(llama_batch_init(static_cast<int32_t>(llama_n_batch(ctx)), 0, 1)));

    // 1. Keep what the KV cache shares with the prompt, or restore the prefix from memory or file.
    const PromptReuse reuse =
        ReusePromptState(ctx, target.modelFingerprint, cache, prompt, request.prefixLength, request.prefixCacheFile);
    result.prefixSource = reuse.source;
    result.prefixFileProblem = reuse.fileProblem;
    result.timings.promptTokens = static_cast<int32_t>(prompt.size());
    result.timings.cachedTokens = static_cast<int32_t>(cache.kvTokens.size());

    // 2. Evaluate the rest of the prompt, stopping at the prefix boundary to snapshot it.
    int32_t status = 0;
    if (reuse.mustSavePrefix && cache.kvTokens.size() < reuse.prefixLength) {
        status =
            DecodeTokens(ctx, *batch, prompt.data() + cache.kvTokens.size(), reuse.prefixLength - cache.kvTokens.size(),
                         reuse.prefixLength == prompt.size(), cache.kvTokens);
        if (status == 0) {
            result.prefixSaveProblem = SavePrefix(
                ctx, target.modelFingerprint, cache,
                std::vector<llama_token>(prompt.begin(), prompt.begin() + reuse.prefixLength), request.prefixCacheFile);
        }
    }
    if (status == 0 && cache.kvTokens.size() < prompt.size()) {
        status = DecodeTokens(ctx, *batch, prompt.data() + cache.kvTokens.size(), prompt.size() - cache.kvTokens.size(),
                              true, cache.kvTokens);
    }
    result.timings.promptMs = MsSince(started);
    if (status == kDecodeAborted) {
        result.stopReason = "abort";
        return;
    }
    if (status != 0) {
        throw GenerationError("GENERATION", DecodeFailure(status));
    }
    // The logits after the whole prompt are kept: the same prompt again (a repeated request to a
    // resident model) then starts sampling at once, with nothing to evaluate. ~0.6 MB, copied in
    // well under a millisecond; when nothing was evaluated they are the kept ones already.
    if (cache.promptLogitsAt != prompt.size()) {
        const float * logits = llama_get_logits_ith(ctx, -1);
        cache.promptLogits.assign(logits, logits + llama_vocab_n_tokens(target.vocab));
        cache.promptLogitsAt = prompt.size();
    }

    // 3. Sample, stream, evaluate the sampled token, repeat.
    const auto generationStarted = Clock::now();
    TextStream stream(request.stops);
    auto show = [&](const std::string & text) {
        if (!text.empty()) {
            result.text += text;
            onText(text);
        }
    };
    const size_t maxTokens = static_cast<size_t>(request.maxTokens);
    std::string stopReason = "length";
    while (true) {
        if (abortRequested) {
            stopReason = "abort";
            break;
        }
        llama_token token = sampler.Sample(ctx, result.tokens.empty() ? cache.promptLogits.data() : nullptr);
        if (result.tokens.empty()) {
            result.timings.timeToFirstTokenMs = MsSince(started);
        }
        if (llama_vocab_is_eog(target.vocab, token)) {
            stopReason = "eos";
            break;
        }
        result.tokens.push_back(token);
        show(stream.Push(TokenPiece(target.vocab, token)));
        if (stream.stopped()) {
            stopReason = "stop";
            break;
        }
        if (result.tokens.size() >= maxTokens || cache.kvTokens.size() >= contextSize) {
            stopReason = "length";
            break;
        }
        status = DecodeTokens(ctx, *batch, &token, 1, true, cache.kvTokens);
        if (status == kDecodeAborted) {
            stopReason = "abort";
            break;
        }
        if (status != 0) {
            throw GenerationError("GENERATION", DecodeFailure(status));
        }
    }
    show(stream.Flush());
    result.stopReason = stopReason;
    result.timings.generatedTokens = static_cast<int32_t>(result.tokens.size());
    result.timings.generationMs = MsSince(generationStarted);
}

}  // namespace cmdai
