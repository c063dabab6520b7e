// Prompt reuse: how much of a new prompt's KV state is already in the context, or can be
// restored from the in-memory prefix snapshot or the prefix cache file, before decoding.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llama.h"
#include "prefix-cache-file.h"

namespace cmdai {

// What a context remembers between generations (sequence 0 is the only one used).
struct SequenceCache {
    std::vector<llama_token> kvTokens;  // tokens whose KV entries are in the context, in order
    PrefixSnapshot prefix;
    // The logits the model gave after the first `promptLogitsAt` kvTokens (the end of the last
    // prompt): a prompt equal to those tokens needs nothing evaluated. 0 when none are kept.
    std::vector<float> promptLogits;
    size_t promptLogitsAt = 0;
};

struct PromptReuse {
    size_t prefixLength = 0;      // the request's prefix, clamped to the prompt
    bool mustSavePrefix = false;  // the prefix is evaluated now; snapshot it at its boundary
    std::string source = "none";  // where the prefix came from: none | memory | file | computed
    std::string fileProblem;      // why an existing prefix cache file was not used (corrupt)
};

// Keeps (or restores) the longest usable start of `prompt` in the KV cache and drops the rest,
// so that cache.kvTokens is exactly what remains. The last prompt token is left to evaluate,
// since its logits drive the first sample, unless the logits after the whole prompt are kept
// (cache.promptLogitsAt == prompt.size(): the same prompt again); then nothing is evaluated.
PromptReuse ReusePromptState(llama_context * ctx, uint64_t fingerprint, SequenceCache & cache,
                             const std::vector<llama_token> & prompt, size_t prefixLength,
                             const std::string & prefixCacheFile);

// Snapshots the prefix now in the KV cache into memory and, when a file is named, to disk.
// Returns why the file could not be written (a full disk, a read-only folder), empty when it was:
// the file only saves time, so failing to write it never fails the generation.
std::string SavePrefix(llama_context * ctx, uint64_t fingerprint, SequenceCache & cache,
                       const std::vector<llama_token> & prefixTokens, const std::string & prefixCacheFile);

}  // namespace cmdai
