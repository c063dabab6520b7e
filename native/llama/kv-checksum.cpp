#include "kv-checksum.h"

#include <cstring>

namespace cmdai {

namespace {

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;

uint64_t RotateLeft(uint64_t value, int bits) { return (value << bits) | (value >> (64 - bits)); }

// splitmix64's finaliser: every input bit affects every output bit.
uint64_t Avalanche(uint64_t hash) {
    hash ^= hash >> 30;
    hash *= 0xBF58476D1CE4E5B9ULL;
    hash ^= hash >> 27;
    hash *= 0x94D049BB133111EBULL;
    return hash ^ (hash >> 31);
}

}  // namespace

// Four independent lanes over 8-byte words keep the multiplies pipelined (a few GB/s), so
// checking a ~15 MB system-prompt state costs milliseconds next to the restore itself.
uint64_t PayloadChecksum(const uint8_t * data, size_t size) {
    uint64_t lanes[4] = {kPrime1, kPrime2, ~kPrime1, ~kPrime2};
    size_t offset = 0;
    for (; offset + 32 <= size; offset += 32) {
        for (int lane = 0; lane < 4; lane++) {
            uint64_t word;
            std::memcpy(&word, data + offset + 8 * lane, sizeof(word));
            lanes[lane] = RotateLeft(lanes[lane] + word * kPrime2, 31) * kPrime1;
        }
    }
    uint64_t hash = static_cast<uint64_t>(size) * kPrime1;
    for (uint64_t lane : lanes) {
        hash = RotateLeft(hash ^ Avalanche(lane), 27) * kPrime1 + kPrime2;
    }
    for (; offset < size; offset++) {
        hash = RotateLeft(hash ^ (data[offset] * kPrime1), 11) * kPrime2;
    }
    return Avalanche(hash);
}

}  // namespace cmdai
