// LlamaContext: an inference context (KV cache + compute buffers) over a LlamaModel.
//
//   const context = new LlamaContext(model);
//   await context.init({ contextSize, batchSize, threads });          // off the JS thread
//   await context.complete(promptTokens, options, piece => {});       // the whole token loop off the JS thread
//   context.abort();                                                  // stops the running completion
//   context.dispose();
//
// One completion at a time per context (the TypeScript layer queues them); a second concurrent
// call is rejected, never run.
#pragma once

#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "addon-env.h"
#include "generation.h"
#include "model.h"

namespace cmdai {

class LlamaContext : public Napi::ObjectWrap<LlamaContext>, public TeardownResource {
  public:
    static Napi::Function DefineClass(Napi::Env env);
    explicit LlamaContext(const Napi::CallbackInfo & info);
    ~LlamaContext() override;
    // GC finalizer (public: node-addon-api only calls a Finalize it can see).
    void Finalize(Napi::Env env) override;

  private:
    template <typename Event>
    friend class ContextWorker;
    friend class CreateContextWorker;
    friend class CompleteWorker;

    Napi::Value Init(const Napi::CallbackInfo & info);
    Napi::Value Complete(const Napi::CallbackInfo & info);
    void Abort(const Napi::CallbackInfo & info);
    void Dispose(const Napi::CallbackInfo & info);

    void ReleaseAtTeardown() override;
    int TeardownRank() const override { return 0; }

    // JS thread: claims the context for one background call, or throws if it is busy/disposed.
    void BeginWork(Napi::Env env, bool needsContext);
    // Worker thread: hands the context back and wakes a waiting teardown.
    void EndWork();
    void Free(Napi::Env env);
    void ReportMemory(Napi::Env env);

    static bool ShouldAbortDecode(void * data);

    std::shared_ptr<AddonEnv> addonEnv_;
    std::shared_ptr<LoadedModel> model_;
    llama_context * ctx_ = nullptr;
    SequenceCache cache_;
    std::atomic<bool> abortRequested_{false};
    int64_t reportedBytes_ = 0;

    std::mutex mutex_;
    std::condition_variable idle_;
    bool busy_ = false;
    bool released_ = false;
};

}  // namespace cmdai
