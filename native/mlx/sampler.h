// Picks the next token from one row of logits: greedy, or temperature with top-k / top-p /
// min-p, in llama.cpp's order (filters on the untempered distribution, then temperature).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace cmdai::mlx_engine {

struct SamplingParams {
    float temperature = 0.0f;  // <= 0: greedy
    int top_k = 0;             // <= 0: off
    float top_p = 1.0f;        // >= 1: off
    float min_p = 0.0f;        // <= 0: off
    uint64_t seed = 0;
    bool has_seed = false;
};

class Sampler {
  public:
    explicit Sampler(const SamplingParams & params);

    /**
     * Returns the chosen token id. `allowed`, when not empty, lists the only ids that may be
     * chosen (constrained output); returns -1 if none of them is a valid id.
     */
    int32_t sample(const float * logits, int32_t vocab_size, const std::vector<int32_t> & allowed);

  private:
    SamplingParams params_;
    std::mt19937_64 rng_;
    struct Candidate {
        int32_t id;
        float logit;
    };
    std::vector<Candidate> candidates_;
};

}  // namespace cmdai::mlx_engine
