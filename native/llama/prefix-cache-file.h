// The prefix cache file: the KV state of a prompt prefix (the system prompt, say) saved to disk
// so the next process can restore it instead of evaluating the prefix again.
//
// Layout (native byte order): magic "CMDAIKV\2", u64 model fingerprint, u32 token count,
// the tokens (i32 each), u64 state size, u64 checksum of the state bytes (kv-checksum.h), the
// state bytes from llama_state_seq_get_data(). Version 1 files (no checksum) are recomputed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llama.h"

namespace cmdai {

// KV state of one prefix, kept in memory so another prompt in between does not cost a recompute.
struct PrefixSnapshot {
    std::vector<llama_token> tokens;
    std::vector<uint8_t> state;
};

// Reads a prefix file written for this model and exactly these tokens; anything else (missing,
// another model, another prefix, truncated, a payload that fails its checksum) is "not cached":
// false, to be recomputed and rewritten. `problem` says why a file that was ours was not used.
bool ReadPrefixFile(const std::string & path, uint64_t fingerprint, const std::vector<llama_token> & expectedTokens,
                    PrefixSnapshot & snapshot, std::string & problem);

// Writes beside the target and renames, so readers never see a half-written file.
// Throws GenerationError("USAGE") when the file cannot be written.
void WritePrefixFile(const std::string & path, uint64_t fingerprint, const PrefixSnapshot & snapshot);

}  // namespace cmdai
