// LlamaModel: a llama.cpp model (weights + vocabulary) as a JS object.
//
//   const model = new LlamaModel();
//   await model.load(path, { useMmap, vocabOnly }, fraction => {});   // off the JS thread
//   model.abortLoad();                                                 // from any callback
//   model.tokenize(text, addSpecial, parseSpecial) -> Int32Array
//   model.detokenize(tokens, renderSpecial) -> string
//   model.applyChatTemplate([{ role, content }], addAssistant) -> string
//   model.info() -> { architecture, name, parameters, sizeBytes, trainContextSize, ... }
//   model.dispose()
#pragma once

#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "addon-env.h"
#include "llama.h"

namespace cmdai {

// The loaded weights, shared by the model wrapper and every context created from it, so a
// context can never outlive its model whatever order JS drops them in.
class LoadedModel {
  public:
    explicit LoadedModel(llama_model * model) :
        model_(model) {}
    ~LoadedModel() { llama_model_free(model_); }
    LoadedModel(const LoadedModel &) = delete;
    LoadedModel & operator=(const LoadedModel &) = delete;

    llama_model * get() const { return model_; }
    const llama_vocab * vocab() const { return llama_model_get_vocab(model_); }
    // Identifies the weights' shape, so saved KV state is never restored into another model.
    uint64_t Fingerprint() const;

  private:
    llama_model * model_;
};

class LlamaModel : public Napi::ObjectWrap<LlamaModel>, public TeardownResource {
  public:
    static Napi::Function DefineClass(Napi::Env env);
    explicit LlamaModel(const Napi::CallbackInfo & info);
    ~LlamaModel() override;
    // GC finalizer (public: node-addon-api only calls a Finalize it can see).
    void Finalize(Napi::Env env) override;

    // The loaded model, or a JS error if it is not loaded (or disposed).
    std::shared_ptr<LoadedModel> Require(Napi::Env env) const;

  private:
    friend class LoadModelWorker;

    Napi::Value Load(const Napi::CallbackInfo & info);
    void AbortLoad(const Napi::CallbackInfo & info);
    Napi::Value Info(const Napi::CallbackInfo & info);
    Napi::Value Tokenize(const Napi::CallbackInfo & info);
    Napi::Value Detokenize(const Napi::CallbackInfo & info);
    Napi::Value ApplyChatTemplate(const Napi::CallbackInfo & info);
    void Dispose(const Napi::CallbackInfo & info);

    void ReleaseAtTeardown() override;
    int TeardownRank() const override { return 1; }
    void Free(Napi::Env env);

    std::shared_ptr<AddonEnv> addonEnv_;
    std::shared_ptr<LoadedModel> model_;
    std::string path_;
    int64_t reportedBytes_ = 0;

    // A load in flight: the worker thread sets `loading_` false and parks its result in
    // `pendingModel_` (so teardown can free it even if the completion never reaches JS).
    std::atomic<bool> abortLoad_{false};
    std::mutex mutex_;
    std::condition_variable idle_;
    bool loading_ = false;
    bool releasedAtTeardown_ = false;
    llama_model * pendingModel_ = nullptr;
};

}  // namespace cmdai
