#include "prefix-restore.h"

#include <algorithm>

#include "generation-error.h"

namespace cmdai {

namespace {

size_t CommonPrefixLength(const std::vector<llama_token> & a, const std::vector<llama_token> & b) {
    size_t n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n]) {
        n++;
    }
    return n;
}

bool RestoreSequence(llama_context * ctx, const PrefixSnapshot & snapshot, std::vector<llama_token> & kvTokens) {
    llama_memory_t memory = llama_get_memory(ctx);
    llama_memory_seq_rm(memory, 0, -1, -1);
    kvTokens.clear();
    if (snapshot.state.empty() || llama_state_seq_set_data(ctx, snapshot.state.data(), snapshot.state.size(), 0) == 0) {
        llama_memory_seq_rm(memory, 0, -1, -1);
        return false;
    }
    kvTokens = snapshot.tokens;
    return true;
}

}  // namespace

PromptReuse ReusePromptState(llama_context * ctx, uint64_t fingerprint, SequenceCache & cache,
                             const std::vector<llama_token> & prompt, size_t prefixLength,
                             const std::string & prefixCacheFile) {
    PromptReuse reuse;
    reuse.prefixLength = std::min(prefixLength, prompt.size());
    const std::vector<llama_token> prefixTokens(prompt.begin(), prompt.begin() + reuse.prefixLength);
    size_t reused = CommonPrefixLength(cache.kvTokens, prompt);
    bool restored = false;
    if (reuse.prefixLength > 0) {
        PrefixSnapshot fromFile;
        if (reused >= reuse.prefixLength) {
            reuse.source = "memory";
        } else if (cache.prefix.tokens == prefixTokens && RestoreSequence(ctx, cache.prefix, cache.kvTokens)) {
            reuse.source = "memory";
            reused = reuse.prefixLength;
            restored = true;
        } else if (!prefixCacheFile.empty() &&
                   ReadPrefixFile(prefixCacheFile, fingerprint, prefixTokens, fromFile, reuse.fileProblem) &&
                   RestoreSequence(ctx, fromFile, cache.kvTokens)) {
            reuse.source = "file";
            reused = reuse.prefixLength;
            restored = true;
            cache.prefix = std::move(fromFile);
        } else {
            reuse.source = "computed";
            reused = CommonPrefixLength(cache.kvTokens, prompt);
            reuse.mustSavePrefix = true;
        }
    }
    // Kept logits describe the tokens they were computed after only while those stay in the cache
    // untouched: a restore replaces them (even a failed one: it empties the cache), a shorter reuse
    // cuts into them.
    const bool wholePromptKnown = !restored && cache.promptLogitsAt == prompt.size() && reused >= prompt.size();
    reused = std::min(reused, wholePromptKnown ? prompt.size() : prompt.size() - 1);
    if (!llama_memory_seq_rm(llama_get_memory(ctx), 0, static_cast<llama_pos>(reused), -1)) {
        llama_memory_clear(llama_get_memory(ctx), true);
        reused = 0;
    }
    cache.kvTokens.resize(reused);
    if (restored || cache.promptLogitsAt > reused) {
        cache.promptLogitsAt = 0;
    }
    return reuse;
}

std::string SavePrefix(llama_context * ctx, uint64_t fingerprint, SequenceCache & cache,
                       const std::vector<llama_token> & prefixTokens, const std::string & prefixCacheFile) {
    PrefixSnapshot snapshot;
    snapshot.tokens = prefixTokens;
    snapshot.state.resize(llama_state_seq_get_size(ctx, 0));
    const size_t written = llama_state_seq_get_data(ctx, snapshot.state.data(), snapshot.state.size(), 0);
    snapshot.state.resize(written);
    cache.prefix = std::move(snapshot);
    if (!prefixCacheFile.empty()) {
        try {
            WritePrefixFile(prefixCacheFile, fingerprint, cache.prefix);
        } catch (const GenerationError & err) {
            return err.what();
        }
    }
    return "";
}

}  // namespace cmdai
