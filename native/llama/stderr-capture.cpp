#include "stderr-capture.h"

#include <cstdio>

#ifdef _WIN32
#    include <io.h>
#    define dup _dup
#    define dup2 _dup2
#    define fileno _fileno
#    define close _close
#    define write _write
#else
#    include <unistd.h>
#endif

namespace cmdai {

namespace {
std::mutex captureMutex;
}

StderrCapture::StderrCapture() :
    lock_(captureMutex) {
    std::FILE * file = std::tmpfile();
    if (file == nullptr) {
        return;  // cannot capture; the text goes to stderr as llama.cpp intended
    }
    std::fflush(stderr);
    savedFd_ = dup(2);
    if (savedFd_ < 0 || dup2(fileno(file), 2) < 0) {
        if (savedFd_ >= 0) {
            close(savedFd_);
            savedFd_ = -1;
        }
        std::fclose(file);
        return;
    }
    file_ = file;
}

std::string StderrCapture::Finish() {
    finished_ = true;
    if (file_ == nullptr) {
        return "";
    }
    auto * file = static_cast<std::FILE *>(file_);
    file_ = nullptr;
    std::fflush(stderr);
    dup2(savedFd_, 2);
    close(savedFd_);

    std::string captured;
    std::rewind(file);
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof(buf), file)) > 0;) {
        captured.append(buf, n);
    }
    std::fclose(file);
    return captured;
}

void StderrCapture::PassOn(const std::string & text) {
    if (!text.empty()) {
        (void)!write(2, text.data(), static_cast<unsigned>(text.size()));
    }
}

StderrCapture::~StderrCapture() {
    if (!finished_) {
        PassOn(Finish());
    }
}

}  // namespace cmdai
