// The generation loop: prompt (reusing cached KV state) -> sample -> stream text -> stop.
// Plain C++ over the llama.cpp C API, no Node-API; it runs inside one worker's Execute().
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "llama.h"

namespace cmdai {

// A failure the caller reports to JS with a stable code (USAGE, GENERATION, ...).
class GenerationError : public std::runtime_error {
  public:
    GenerationError(std::string errorCode, const std::string & message) :
        std::runtime_error(message),
        code(std::move(errorCode)) {}
    std::string code;
};

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

struct GenerationRequest {
    std::vector<llama_token> prompt;
    // The first `prefixLength` prompt tokens are a reusable prefix whose KV state is kept in memory
    // and, when `prefixCacheFile` is set, in that file.
    size_t prefixLength = 0;
    std::string prefixCacheFile;
    int32_t maxTokens = 256;
    SamplingOptions sampling;
    std::vector<std::string> stops;
};

struct GenerationResult {
    std::string text;
    std::vector<llama_token> tokens;
    std::string stopReason;    // eos | stop | length | abort
    std::string prefixSource;  // none | memory | file | computed
    // Why the prefix cache file could not be used although it was there (corrupt); empty otherwise.
    std::string prefixFileProblem;
    int32_t promptTokens = 0;
    int32_t cachedTokens = 0;
    double promptMs = 0;
    double timeToFirstTokenMs = 0;
    int32_t generatedTokens = 0;
    double generationMs = 0;
};

// KV state of one prefix, kept in memory so another prompt in between does not cost a recompute.
struct PrefixSnapshot {
    std::vector<llama_token> tokens;
    std::vector<uint8_t> state;
};

// What a context remembers between generations (sequence 0 is the only one used).
struct SequenceCache {
    std::vector<llama_token> kvTokens;  // tokens whose KV entries are in the context, in order
    PrefixSnapshot prefix;
};

struct GenerationTarget {
    llama_context * ctx;
    const llama_vocab * vocab;
    uint64_t modelFingerprint;
};

void Generate(const GenerationTarget & target, SequenceCache & cache, const GenerationRequest & request,
              const std::atomic<bool> & abortRequested, const std::function<void(const std::string &)> & onText,
              GenerationResult & result);

// Checks a GBNF grammar without generating; throws GenerationError("USAGE") when invalid.
void ValidateGrammar(const llama_vocab * vocab, const std::string & grammar);

}  // namespace cmdai
