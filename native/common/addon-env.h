// Per-environment (main thread or worker_thread) state of the addon.
//
// Native resources register here so that environment teardown (process exit, worker
// termination) can stop their background work and free them even when JS never called
// dispose() and GC never ran. Wrappers hold a shared_ptr, so the registry outlives whichever
// of them is finalized last.
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_set>

namespace cmdai {

// A native resource that can be released at environment teardown.
class TeardownResource {
  public:
    virtual ~TeardownResource() = default;
    // Called on the JS thread during teardown: stop background work, wait for it, free memory.
    virtual void ReleaseAtTeardown() = 0;
    // Lower ranks are released first (contexts before the models they use).
    virtual int TeardownRank() const = 0;
};

class EnvState {
  public:
    static std::shared_ptr<EnvState> Create(Napi::Env env);
    static std::shared_ptr<EnvState> Get(Napi::Env env);

    void Register(TeardownResource * resource);
    void Unregister(TeardownResource * resource);

    // Moves our cleanup hook to the front of the queue. Node runs cleanup hooks newest first,
    // and every ThreadSafeFunction adds its own hook; ours must run before those so that it can
    // stop the threads that still call into them.
    void KeepCleanupHookFirst();

    bool tearingDown() const { return tearingDown_.load(); }

    Napi::FunctionReference modelClass;
    Napi::FunctionReference contextClass;

  private:
    explicit EnvState(napi_env env) : env_(env) {}
    static void OnCleanup(void * arg);

    napi_env env_;
    std::atomic<bool> tearingDown_{false};
    std::mutex mutex_;
    std::unordered_set<TeardownResource *> resources_;
};

// Reports native memory to V8; never throws (it also runs in finalizers and at teardown).
void AdjustExternalMemory(Napi::Env env, int64_t changeInBytes);

// A JS Error carrying a stable `code` the TypeScript layer maps onto
// CmdaiError codes.
Napi::Error MakeError(Napi::Env env, const std::string & code, const std::string & message);

}  // namespace cmdai
