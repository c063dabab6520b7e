#include "text-stream.h"

#include <algorithm>

namespace cmdai {

size_t CompleteUtf8Length(const std::string & bytes) {
    const size_t size = bytes.size();
    // Look back at most 3 bytes for the lead byte of the last character.
    for (size_t back = 1; back <= std::min<size_t>(4, size); back++) {
        const auto byte = static_cast<unsigned char>(bytes[size - back]);
        if ((byte & 0xC0) == 0x80) {
            continue;  // continuation byte
        }
        size_t needed = 1;
        if ((byte & 0xE0) == 0xC0) {
            needed = 2;
        } else if ((byte & 0xF0) == 0xE0) {
            needed = 3;
        } else if ((byte & 0xF8) == 0xF0) {
            needed = 4;
        }
        return back < needed ? size - back : size;
    }
    return size;  // only continuation bytes: malformed, pass it through
}

std::string TextStream::Push(const std::string & bytes) {
    if (stopped_) {
        return "";
    }
    incompleteUtf8_ += bytes;
    const size_t complete = CompleteUtf8Length(incompleteUtf8_);
    held_.append(incompleteUtf8_, 0, complete);
    incompleteUtf8_.erase(0, complete);

    size_t firstStop = std::string::npos;
    for (const std::string & stop : stops_) {
        firstStop = std::min(firstStop, held_.find(stop));
    }
    if (firstStop != std::string::npos) {
        stopped_ = true;
        std::string shown = held_.substr(0, firstStop);
        held_.clear();
        incompleteUtf8_.clear();
        return shown;
    }

    // Keep back the longest tail of held_ that a stop string could still continue.
    size_t keep = 0;
    for (const std::string & stop : stops_) {
        for (size_t n = std::min(stop.size() - 1, held_.size()); n > keep; n--) {
            if (held_.compare(held_.size() - n, n, stop, 0, n) == 0) {
                keep = n;
                break;
            }
        }
    }
    std::string shown = held_.substr(0, held_.size() - keep);
    held_.erase(0, held_.size() - keep);
    return shown;
}

std::string TextStream::Flush() {
    if (stopped_) {
        return "";
    }
    std::string rest = held_ + incompleteUtf8_;
    held_.clear();
    incompleteUtf8_.clear();
    return rest;
}

}  // namespace cmdai
