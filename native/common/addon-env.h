// What both addons (cmdai.node over llama.cpp, cmdai_mlx.node over MLX) keep per environment
// (the main thread, or one worker_thread), and how they report errors to JS.
//
// - Native resources register here, so that environment teardown (process exit, worker
//   termination) stops their background work and frees them, in rank order, even when JS never
//   called dispose() and GC never ran. Wrappers hold a shared_ptr, so this state outlives
//   whichever of them is finalized last.
// - JS hands its error class (CmdaiError) to the addon once, through the `setErrorClass`
//   export; every error the addon throws or rejects with is then an instance of it, with a
//   stable `code`.
#pragma once

#include <napi.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
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

class AddonEnv {
  public:
    // Creates the state of this environment and adds `setErrorClass` to the addon's exports.
    static std::shared_ptr<AddonEnv> Create(Napi::Env env, Napi::Object exports);
    static std::shared_ptr<AddonEnv> Get(Napi::Env env);

    void Register(TeardownResource * resource);
    void Unregister(TeardownResource * resource);

    // Moves our cleanup hook to the front of the queue. Node runs cleanup hooks newest first,
    // and every ThreadSafeFunction adds its own hook; ours must run before those so that it can
    // stop the threads that still call into them.
    void KeepCleanupHookFirst();

    bool tearingDown() const { return tearingDown_.load(); }

    // A JS class this addon defined (for instanceof checks), by name.
    void KeepClass(const std::string & name, Napi::Function constructor);
    Napi::Function Class(const std::string & name) const;

    // new ErrorClass(code, message), or a plain Error carrying `code` before JS handed one in.
    Napi::Error MakeError(Napi::Env env, const std::string & code, const std::string & message) const;

  private:
    explicit AddonEnv(napi_env env) :
        env_(env) {}
    static void OnCleanup(void * arg);
    static Napi::Value SetErrorClass(const Napi::CallbackInfo & info);

    napi_env env_;
    std::atomic<bool> tearingDown_{false};
    std::mutex mutex_;
    std::unordered_set<TeardownResource *> resources_;
    std::map<std::string, Napi::FunctionReference> classes_;
    Napi::FunctionReference errorClass_;
};

// Reports native memory to V8; never throws (it also runs in finalizers and at teardown).
void AdjustExternalMemory(Napi::Env env, int64_t changeInBytes);

// The error both addons throw: an instance of the JS error class with a stable `code`
// (USAGE, MODEL_INVALID, GENERATION, ABORTED, ...).
Napi::Error MakeError(Napi::Env env, const std::string & code, const std::string & message);

}  // namespace cmdai
