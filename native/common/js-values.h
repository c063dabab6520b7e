// Reading a JS options object in both addons: a field of the expected type, or the fallback when
// it is absent or of another type (the TypeScript side has already validated what it passes).
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

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

}  // namespace cmdai
