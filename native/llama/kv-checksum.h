// A checksum over a saved KV payload, so a prefix cache file with flipped bytes is recomputed
// instead of restored. Detects accidental corruption (disk, truncation, stray writes); it is
// not a defence against someone who can write the user's cache directory.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cmdai {

uint64_t PayloadChecksum(const uint8_t * data, size_t size);

}  // namespace cmdai
