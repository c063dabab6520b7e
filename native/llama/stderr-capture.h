// Captures what the calling code writes to the process's stderr (fd 2) for a short call.
//
// llama.cpp's GBNF parser reports syntax errors with fprintf(stderr) instead of its logger, so
// the only way to keep the engine silent and still tell the user *why* a grammar is invalid is
// to catch those bytes. One capture at a time (a process-wide mutex); whatever else lands on
// stderr meanwhile is handed back by the caller.
#pragma once

#include <mutex>
#include <string>

namespace cmdai {

class StderrCapture {
  public:
    StderrCapture();
    ~StderrCapture();
    StderrCapture(const StderrCapture &) = delete;
    StderrCapture & operator=(const StderrCapture &) = delete;

    // Ends the capture and returns everything captured. The caller hands back what is not its
    // own with PassOn().
    std::string Finish();
    static void PassOn(const std::string & text);

  private:
    std::unique_lock<std::mutex> lock_;
    int savedFd_ = -1;
    void * file_ = nullptr;
    bool finished_ = false;
};

}  // namespace cmdai
