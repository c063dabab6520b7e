// Values between JS and both addons: options read from a JS object (a field of the expected type,
// or the fallback when it is absent or of another type; the TypeScript side has already validated
// what it passes), and timings written back.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

#include "timings.h"

namespace cmdai {

inline uint32_t OptionalUint(const Napi::Object & options, const char * key, uint32_t fallback) {
    Napi::Value value = options.Get(key);
    return value.IsNumber() ? value.As<Napi::Number>().Uint32Value() : fallback;
}

// Int32Value wraps out-of-range values (and NaN to 0) instead of an undefined conversion.
inline int32_t OptionalInt(const Napi::Object & options, const char * key, int32_t fallback) {
    Napi::Value value = options.Get(key);
    return value.IsNumber() ? value.As<Napi::Number>().Int32Value() : fallback;
}

inline float OptionalFloat(const Napi::Object & options, const char * key, float fallback) {
    Napi::Value value = options.Get(key);
    return value.IsNumber() ? value.As<Napi::Number>().FloatValue() : fallback;
}

// The string, or "" when absent.
inline std::string OptionalString(const Napi::Object & options, const char * key) {
    Napi::Value value = options.Get(key);
    return value.IsString() ? value.As<Napi::String>().Utf8Value() : std::string();
}

// Writes a generation's timings onto `target` under their JS names.
inline void SetTimingsOn(Napi::Object target, const GenerationTimings & timings) {
    target.Set("promptTokens", timings.promptTokens);
    target.Set("cachedTokens", timings.cachedTokens);
    target.Set("promptMs", timings.promptMs);
    target.Set("timeToFirstTokenMs", timings.timeToFirstTokenMs);
    target.Set("generatedTokens", timings.generatedTokens);
    target.Set("generationMs", timings.generationMs);
}

}  // namespace cmdai
