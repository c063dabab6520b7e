// One loaded model and its one running sequence: prompt prefill in chunks, then one token at a
// time. Everything here runs on the model's own thread (MLX default streams are per thread).
#pragma once

#include "qwen2.h"
#include "sampler.h"
#include "timings.h"

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace cmdai::mlx_engine {

struct LoadSpec {
    std::vector<std::string> weight_files;
    Qwen2Config config;
    int context_size = 4096;
    int batch_size = 512;
};

struct GenerateSpec {
    std::vector<int32_t> prompt;
    SamplingParams sampling;
    int max_tokens = 0;
    std::vector<int32_t> end_tokens;
};

enum class StopReason { kEndOfGeneration, kLength, kAbort };

struct GenerateResult {
    std::vector<int32_t> tokens;
    StopReason stop_reason = StopReason::kLength;
    GenerationTimings timings;
};

class Session {
  public:
    explicit Session(const LoadSpec & spec);

    struct PrefillResult {
        double ms;
        int reused_tokens;
    };
    /**
     * Starts a new sequence with `prompt`. The part of it the previous sequence already computed
     * (a shared system prompt, typically) is kept in the KV cache, not recomputed.
     */
    PrefillResult prefill(const std::vector<int32_t> & prompt);
    /** Appends one token to the sequence and computes the logits that follow it. */
    void feed(int32_t token);
    /** Picks the next token from the current logits (only among `allowed` when not empty). */
    int32_t sample(Sampler & sampler, const std::vector<int32_t> & allowed) const;

    /** The whole loop: prefill, then sample and feed until an end token, max_tokens or abort. */
    GenerateResult generate(const GenerateSpec & spec, const std::atomic<bool> & abort,
                            const std::function<void(int32_t)> & on_token);

    int position() const { return static_cast<int>(cached_tokens_.size()); }
    int context_size() const { return context_size_; }
    const Qwen2Model & model() const { return model_; }

  private:
    void set_logits(const mx::array & logits);
    /** Token ids outside the vocabulary would index past the embedding table. */
    void check_tokens(const int32_t * tokens, size_t count) const;

    Qwen2Model model_;
    std::vector<KVCache> caches_;
    std::vector<float> logits_;
    int context_size_;
    int batch_size_;
    // The tokens whose keys and values are in the cache, in order.
    std::vector<int32_t> cached_tokens_;
};

}  // namespace cmdai::mlx_engine
