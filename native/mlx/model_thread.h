// The one native thread that owns a model's MLX work. MLX binds its default streams to the
// thread that uses them, so every load, prefill and token step of one model runs here, in order.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace cmdai::mlx_engine {

class ModelThread {
  public:
    ModelThread() :
        thread_([this] { run(); }) {}
    ~ModelThread() { stop_and_join(); }
    ModelThread(const ModelThread &) = delete;
    ModelThread & operator=(const ModelThread &) = delete;

    /** Queues a task; returns false once the thread is stopping. */
    bool post(std::function<void()> task) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stopping_)
                return false;
            tasks_.push_back(std::move(task));
        }
        wake_.notify_one();
        return true;
    }

    /** Runs the tasks already queued, then ends the thread. Safe to call twice. */
    void stop_and_join() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id())
            thread_.join();
    }

  private:
    void run() {
        for (;;) {
            std::function<void()> task;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
                if (tasks_.empty())
                    return;
                task = std::move(tasks_.front());
                tasks_.pop_front();
            }
            task();
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
    std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace cmdai::mlx_engine
