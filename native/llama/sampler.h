// Picks the next token from a context's logits: penalties, truncation, temperature and the draw
// (or greedy), with an optional GBNF grammar.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "llama.h"

namespace cmdai {

struct SamplingOptions {
    float temperature = 0.8f;  // 0 = greedy
    int32_t topK = 40;
    float topP = 0.95f;
    float minP = 0.05f;
    uint32_t seed = LLAMA_DEFAULT_SEED;
    float repeatPenalty = 1.0f;  // 1 = off
    int32_t repeatLastN = 64;
    std::string grammar;  // GBNF, root rule "root"; empty = unconstrained
};

// Checking the grammar against the whole vocabulary (150k tokens for Qwen2) at every step is
// slow, so, as llama.cpp's own common sampler does, the token is drawn first and the grammar
// consulted only for it; only when the grammar rejects it is the draw repeated over the
// candidates the grammar allows. Either way the token is one the grammar allows.
class TokenSampler {
  public:
    // Throws GenerationError("USAGE") when the grammar is invalid.
    TokenSampler(const llama_vocab * vocab, const SamplingOptions & options);

    // Samples from the logits of the last decoded token (or from `kept`, logits kept from an
    // earlier evaluation of the same tokens) and accepts the result.
    llama_token Sample(llama_context * ctx, const float * kept = nullptr);

    // Accepts a token the answer is known to start with, as if it had been sampled; false (and
    // nothing accepted) when the grammar does not allow it.
    bool Force(llama_token token);

  private:
    struct SamplerDeleter {
        void operator()(llama_sampler * sampler) const { llama_sampler_free(sampler); }
    };
    using SamplerPtr = std::unique_ptr<llama_sampler, SamplerDeleter>;

    llama_token Argmax(const float * logits) const;
    bool GrammarAllows(llama_token token);
    llama_token Draw(const float * logits, bool constrained);
    llama_token DrawConstrained(const float * logits);
    llama_token DrawAmongLikely(const float * logits);

    SamplerPtr chain_;
    SamplerPtr grammar_;
    std::vector<llama_token_data> candidates_;
    std::vector<llama_token_data> likely_;
    bool plainGreedy_ = false;
    // How many of the most likely tokens the chain after the grammar looks at (top-k; 1 for
    // greedy); 0 when it looks at all of them (no top-k, or a repeat penalty that reorders).
    size_t likelyCount_ = 0;
};

}  // namespace cmdai
