// The generation loop: prompt (reusing cached KV state) -> sample -> stream text -> stop.
// Plain C++ over the llama.cpp C API, no Node-API; it runs inside one worker's Execute().
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "generation-error.h"
#include "llama.h"
#include "prefix-restore.h"
#include "sampler.h"
#include "timings.h"

namespace cmdai {

struct GenerationRequest {
    std::vector<llama_token> prompt;
    // The first `prefixLength` prompt tokens are a reusable prefix whose KV state is kept in memory
    // and, when `prefixCacheFile` is set, in that file.
    size_t prefixLength = 0;
    std::string prefixCacheFile;
    // The last `answerLength` prompt tokens are the start of the answer, known in advance (e.g. the
    // opening a JSON grammar forces): evaluated with the prompt, the grammar advanced over them.
    size_t answerLength = 0;
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
    // Why the prefix cache file could not be written (the generation went on without it).
    std::string prefixSaveProblem;
    GenerationTimings timings;
};

struct GenerationTarget {
    llama_context * ctx;
    const llama_vocab * vocab;
    uint64_t modelFingerprint;
};

void Generate(const GenerationTarget & target, SequenceCache & cache, const GenerationRequest & request,
              const std::atomic<bool> & abortRequested, const std::function<void(const std::string &)> & onText,
              GenerationResult & result);

}  // namespace cmdai
