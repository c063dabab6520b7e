// What one generation took, in both engines (JS: lib/engine/types.ts, `Timings`; written by
// SetTimingsOn in js-values.h). No Node-API here, so the token loops stay free of it.
#pragma once

#include <cstdint>

namespace cmdai {

struct GenerationTimings {
    int32_t promptTokens = 0;
    int32_t cachedTokens = 0;  // prompt tokens whose state was reused rather than computed
    double promptMs = 0;
    double timeToFirstTokenMs = 0;
    int32_t generatedTokens = 0;
    double generationMs = 0;
};

}  // namespace cmdai
