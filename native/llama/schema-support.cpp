// The three string helpers llama.cpp's JSON-Schema-to-grammar converter calls. They live in
// llama.cpp's `common` library, which we do not build (it brings an HTTP client, a Jinja engine
// and more); these are our own small definitions with the same signatures.
#include "common.h"

#include <string>
#include <vector>

std::string string_join(const std::vector<std::string> & values, const std::string & separator) {
    std::string joined;
    for (size_t i = 0; i < values.size(); i++) {
        if (i > 0) {
            joined += separator;
        }
        joined += values[i];
    }
    return joined;
}

std::vector<std::string> string_split(const std::string & str, const std::string & delimiter) {
    std::vector<std::string> parts;
    if (delimiter.empty()) {
        parts.push_back(str);
        return parts;
    }
    size_t start = 0;
    for (size_t found = str.find(delimiter); found != std::string::npos; found = str.find(delimiter, start)) {
        parts.push_back(str.substr(start, found - start));
        start = found + delimiter.size();
    }
    parts.push_back(str.substr(start));
    return parts;
}

std::string string_repeat(const std::string & str, size_t n) {
    std::string repeated;
    repeated.reserve(str.size() * n);
    for (size_t i = 0; i < n; i++) {
        repeated += str;
    }
    return repeated;
}
