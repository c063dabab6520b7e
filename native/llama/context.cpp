#include "context.h"

#include <algorithm>
#include <thread>

#include "js-values.h"
#include "llama-log.h"
#include "streaming-worker.h"

namespace cmdai {

// A call on a context: keeps the JS object alive while it runs, reports memory when it ends.
template <typename Event>
class ContextWorker : public StreamingWorker<Event> {
  protected:
    ContextWorker(Napi::Env env, const char * name, Napi::Value listener, Napi::Object self, LlamaContext * context) :
        StreamingWorker<Event>(env, name, listener),
        context_(context),
        self_(Napi::Persistent(self)) {}

    void Finish(Napi::Env env) override {
        context_->ReportMemory(env);
        self_.Reset();
    }

    LlamaContext * context_;

  private:
    Napi::ObjectReference self_;
};

// Creates the llama_context (allocates the KV cache) on a libuv thread.
class CreateContextWorker : public ContextWorker<int> {
  public:
    CreateContextWorker(Napi::Env env, Napi::Object self, LlamaContext * context, llama_context_params params) :
        ContextWorker(env, "cmdai.createContext", env.Undefined(), self, context),
        params_(params) {}

  protected:
    void Execute() override {
        std::string reason;
        llama_context * created = nullptr;
        try {
            LogCapture capture;
            created = llama_init_from_model(context_->model_->get(), params_);
            reason = capture.Reason();
        } catch (const std::exception & err) {
            reason = err.what();
        }
        context_->ctx_ = created;
        context_->EndWork();
        if (created == nullptr) {
            Fail("MODEL_INVALID",
                 "cannot create an inference context: " + (reason.empty() ? "llama.cpp refused" : reason));
        }
    }

    void Deliver(Napi::Env, Napi::Function, int &) override {}

    Napi::Value Result(Napi::Env env) override {
        Napi::Object result = Napi::Object::New(env);
        if (context_->ctx_ != nullptr) {
            result.Set("contextSize", Napi::Number::New(env, llama_n_ctx(context_->ctx_)));
            result.Set("batchSize", Napi::Number::New(env, llama_n_batch(context_->ctx_)));
            result.Set("threads", Napi::Number::New(env, llama_n_threads(context_->ctx_)));
        }
        return result;
    }

  private:
    llama_context_params params_;
};

// Runs one whole completion (prompt, token loop, stop handling) on a libuv thread and streams
// each shown piece of text to JS.
class CompleteWorker : public ContextWorker<std::string> {
  public:
    CompleteWorker(Napi::Env env, Napi::Object self, LlamaContext * context, GenerationRequest request,
                   Napi::Value onText) :
        ContextWorker(env, "cmdai.complete", onText, self, context),
        request_(std::move(request)) {}

  protected:
    void Execute() override {
        try {
            GenerationTarget target{context_->ctx_, context_->model_->vocab(), context_->model_->Fingerprint()};
            Generate(
                target, context_->cache_, request_, context_->abortRequested_,
                [this](const std::string & text) { Emit(text); }, result_);
        } catch (const GenerationError & err) {
            Fail(err.code, err.what());
        } catch (const std::exception & err) {
            Fail("GENERATION", std::string("generation failed: ") + err.what());
        }
        context_->EndWork();
    }

    void Deliver(Napi::Env env, Napi::Function listener, std::string & text) override {
        try {
            listener.Call({Napi::String::New(env, text)});
        } catch (const Napi::Error &) {
            // The TypeScript layer catches listener errors itself, so a call that fails here means
            // this environment can no longer run JS: a worker thread being terminated. Node lets
            // thread-pool work finish before it runs cleanup hooks, so the teardown hook's abort
            // would come only after the whole generation (seconds to minutes); stop it now.
            context_->abortRequested_ = true;
        }
    }

    Napi::Value Result(Napi::Env env) override {
        Napi::Object result = Napi::Object::New(env);
        result.Set("text", Napi::String::New(env, result_.text));
        Napi::Int32Array tokens = Napi::Int32Array::New(env, result_.tokens.size());
        std::copy(result_.tokens.begin(), result_.tokens.end(), tokens.Data());
        result.Set("tokens", tokens);
        result.Set("stopReason", result_.stopReason);
        result.Set("prefixSource", result_.prefixSource);
        if (!result_.prefixSaveProblem.empty()) {
            result.Set("prefixSaveProblem", result_.prefixSaveProblem);
        }
        if (!result_.prefixFileProblem.empty()) {
            result.Set("prefixFileProblem", result_.prefixFileProblem);
        }
        Napi::Object timings = Napi::Object::New(env);
        SetTimingsOn(timings, result_.timings);
        result.Set("timings", timings);
        return result;
    }

  private:
    GenerationRequest request_;
    GenerationResult result_;
};

Napi::Function LlamaContext::DefineClass(Napi::Env env) {
    return ObjectWrap<LlamaContext>::DefineClass(env, "LlamaContext",
                                                 {
                                                     InstanceMethod<&LlamaContext::Init>("init"),
                                                     InstanceMethod<&LlamaContext::Complete>("complete"),
                                                     InstanceMethod<&LlamaContext::Abort>("abort"),
                                                     InstanceMethod<&LlamaContext::Dispose>("dispose"),
                                                 });
}

LlamaContext::LlamaContext(const Napi::CallbackInfo & info) :
    Napi::ObjectWrap<LlamaContext>(info),
    addonEnv_(AddonEnv::Get(info.Env())) {
    Napi::Env env = info.Env();
    Napi::Function modelClass = addonEnv_->Class("LlamaModel");
    if (!info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(modelClass)) {
        throw MakeError(env, "USAGE", "new LlamaContext(model): model must be a LlamaModel");
    }
    model_ = LlamaModel::Unwrap(info[0].As<Napi::Object>())->Require(env);
    addonEnv_->Register(this);
}

LlamaContext::~LlamaContext() {
    addonEnv_->Unregister(this);
    if (ctx_ != nullptr) {
        llama_free(ctx_);  // normally already freed by Dispose() or Finalize()
    }
}

void LlamaContext::BeginWork(Napi::Env env, bool needsContext) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!model_) {
        throw MakeError(env, "USAGE", "the context was disposed");
    }
    if (busy_) {
        throw MakeError(env, "USAGE", "the context is busy with another call; wait for it to finish");
    }
    if (needsContext != (ctx_ != nullptr)) {
        throw MakeError(env, "USAGE",
                        needsContext ? "the context is not initialized" : "the context is already initialized");
    }
    busy_ = true;
}

void LlamaContext::EndWork() {
    std::lock_guard<std::mutex> lock(mutex_);
    busy_ = false;
    idle_.notify_all();
}

Napi::Value LlamaContext::Init(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    Napi::Object options = info[0].IsObject() ? info[0].As<Napi::Object>() : Napi::Object::New(env);
    llama_context_params params = llama_context_default_params();
    params.n_ctx = OptionalUint(options, "contextSize", 4096);
    params.n_batch = std::max<uint32_t>(1, OptionalUint(options, "batchSize", 512));
    params.n_ubatch = std::min<uint32_t>(params.n_batch, 512);
    const int32_t threads =
        OptionalInt(options, "threads", static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency())));
    params.n_threads = threads;
    params.n_threads_batch = threads;
    params.n_seq_max = 1;
    // Only the last prompt token needs logits; reserving them for a whole batch would cost
    // batch x vocabulary floats (~300 MB for Qwen2 at batch 512).
    params.n_outputs_max = 1;
    params.abort_callback = &LlamaContext::ShouldAbortDecode;
    params.abort_callback_data = this;
    BeginWork(env, false);
    try {
        auto * worker = new CreateContextWorker(env, info.This().As<Napi::Object>(), this, params);
        return worker->Start();
    } catch (...) {
        EndWork();
        throw;
    }
}

Napi::Value LlamaContext::Complete(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
        throw MakeError(env, "USAGE", "complete(tokens, options, onText): tokens must be an Int32Array");
    }
    Napi::Int32Array tokens = info[0].As<Napi::Int32Array>();
    Napi::Object options = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);

    GenerationRequest request;
    request.prompt.assign(tokens.Data(), tokens.Data() + tokens.ElementLength());
    request.maxTokens = OptionalInt(options, "maxTokens", 256);
    request.prefixLength = OptionalUint(options, "prefixLength", 0);
    request.prefixCacheFile = OptionalString(options, "prefixCacheFile");
    request.answerLength = OptionalUint(options, "answerLength", 0);
    SamplingOptions & sampling = request.sampling;
    sampling.temperature = OptionalFloat(options, "temperature", sampling.temperature);
    sampling.topK = OptionalInt(options, "topK", sampling.topK);
    sampling.topP = OptionalFloat(options, "topP", sampling.topP);
    sampling.minP = OptionalFloat(options, "minP", sampling.minP);
    sampling.seed = OptionalUint(options, "seed", sampling.seed);
    sampling.repeatPenalty = OptionalFloat(options, "repeatPenalty", sampling.repeatPenalty);
    sampling.repeatLastN = OptionalInt(options, "repeatLastN", sampling.repeatLastN);
    sampling.grammar = OptionalString(options, "grammar");
    Napi::Value stops = options.Get("stop");
    if (stops.IsArray()) {
        Napi::Array array = stops.As<Napi::Array>();
        for (uint32_t i = 0; i < array.Length(); i++) {
            std::string stop = array.Get(i).ToString().Utf8Value();
            if (!stop.empty()) {
                request.stops.push_back(stop);
            }
        }
    }
    if (request.maxTokens < 1) {
        throw MakeError(env, "USAGE", "maxTokens must be at least 1");
    }

    BeginWork(env, true);
    abortRequested_ = false;
    try {
        auto * worker = new CompleteWorker(env, info.This().As<Napi::Object>(), this, std::move(request), info[2]);
        return worker->Start();
    } catch (...) {
        EndWork();
        throw;
    }
}

void LlamaContext::Abort(const Napi::CallbackInfo &) { abortRequested_ = true; }

bool LlamaContext::ShouldAbortDecode(void * data) { return static_cast<LlamaContext *>(data)->abortRequested_.load(); }

void LlamaContext::ReportMemory(Napi::Env env) {
    int64_t bytes = 0;
    if (ctx_ != nullptr) {
        const llama_model * model = model_->get();
        // KV cache: K and V, f16, per layer and position.
        const int64_t headDim = llama_model_n_embd(model) / std::max(1, llama_model_n_head(model));
        bytes += static_cast<int64_t>(llama_n_ctx(ctx_)) * llama_model_n_layer(model) * headDim *
                 llama_model_n_head_kv(model) * 2 * 2;
        bytes += static_cast<int64_t>(cache_.prefix.state.size());
    }
    if (bytes != reportedBytes_) {
        AdjustExternalMemory(env, bytes - reportedBytes_);
        reportedBytes_ = bytes;
    }
}

void LlamaContext::Dispose(const Napi::CallbackInfo & info) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (busy_) {
            throw MakeError(info.Env(), "USAGE", "the context is busy; abort the running call and wait for it first");
        }
    }
    Free(info.Env());
}

void LlamaContext::Free(Napi::Env env) {
    if (ctx_ != nullptr) {
        llama_free(ctx_);
        ctx_ = nullptr;
    }
    cache_ = SequenceCache();
    model_.reset();
    ReportMemory(env);
}

void LlamaContext::Finalize(Napi::Env env) { Free(env); }

void LlamaContext::ReleaseAtTeardown() {
    abortRequested_ = true;
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait(lock, [this] { return !busy_; });
    released_ = true;
    if (ctx_ != nullptr) {
        llama_free(ctx_);
        ctx_ = nullptr;
    }
    cache_ = SequenceCache();
    model_.reset();
    reportedBytes_ = 0;
}

}  // namespace cmdai
