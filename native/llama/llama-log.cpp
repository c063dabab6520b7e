#include "llama-log.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "llama.h"

namespace cmdai {

namespace {

thread_local LogCapture * currentCapture = nullptr;

bool LoggingToStderr() {
    const char * flag = std::getenv("CMDAI_LLAMA_LOG");
    return flag != nullptr && flag[0] != '\0' && std::strcmp(flag, "0") != 0;
}

void OnLlamaLog(ggml_log_level level, const char * text, void * user_data) {
    if (user_data != nullptr) {
        std::fputs(text, stderr);
    }
    if (currentCapture != nullptr) {
        currentCapture->Append(level, text);
    }
}

// "llama_model_load: error loading model: unknown model architecture: 'foo'"
//   -> "unknown model architecture: 'foo'"
std::string StripPrefixes(std::string line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == ' ' || line.back() == '\r')) {
        line.pop_back();
    }
    static const char * prefixes[] = {"error loading model: ", "error loading model architecture: ",
                                      "error loading model hyperparameters: ", "error loading model vocabulary: "};
    for (bool stripped = true; stripped;) {
        stripped = false;
        // A leading "some_function: " is the logger's, not the message's.
        size_t colon = line.find(": ");
        if (colon != std::string::npos && colon > 0 && line.find(' ') > colon) {
            line = line.substr(colon + 2);
            stripped = true;
        }
        for (const char * prefix : prefixes) {
            if (line.rfind(prefix, 0) == 0) {
                line = line.substr(std::strlen(prefix));
                stripped = true;
            }
        }
    }
    return line;
}

}  // namespace

void InstallLlamaLogger() {
    static std::once_flag once;
    std::call_once(once, [] {
        // user_data doubles as the "print to stderr" switch, read once per process.
        llama_log_set(OnLlamaLog, LoggingToStderr() ? reinterpret_cast<void *>(1) : nullptr);
    });
}

LogCapture::LogCapture() :
    previous_(currentCapture) {
    currentCapture = this;
}

LogCapture::~LogCapture() { currentCapture = previous_; }

void LogCapture::Append(int level, const char * text) {
    if (level == GGML_LOG_LEVEL_CONT) {
        if (lastLevel_ == GGML_LOG_LEVEL_ERROR && !errors_.empty()) {
            errors_.back() += text;
        }
        return;
    }
    lastLevel_ = level;
    if (level == GGML_LOG_LEVEL_ERROR) {
        errors_.emplace_back(text);
    }
}

std::string LogCapture::Reason() const {
    // The first error is where things went wrong; later ones are callers giving up.
    for (const std::string & line : errors_) {
        std::string reason = StripPrefixes(line);
        if (!reason.empty()) {
            return reason;
        }
    }
    return "";
}

}  // namespace cmdai
