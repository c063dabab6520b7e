// llama.cpp / ggml logging, routed through one process-wide callback.
//
// Silent by default (CMDAI_LLAMA_LOG=1 prints everything to stderr). While a blocking call runs,
// a LogCapture on that thread collects llama.cpp's error lines, so a failed load can tell the user
// *why* (for example "unknown model architecture: 'foo'") instead of just "failed".
#pragma once

#include <string>
#include <vector>

namespace cmdai {

// Installs the callback once per process; safe to call from every environment.
void InstallLlamaLogger();

class LogCapture {
  public:
    LogCapture();
    ~LogCapture();
    LogCapture(const LogCapture &) = delete;
    LogCapture & operator=(const LogCapture &) = delete;

    // The most specific error llama.cpp reported on this thread, cleaned of function-name
    // prefixes; empty when it reported none.
    std::string Reason() const;

    void Append(int level, const char * text);

  private:
    std::vector<std::string> errors_;
    int lastLevel_ = 0;
    LogCapture * previous_;
};

}  // namespace cmdai
