#include "model.h"

#include <chrono>
#include <stdexcept>
#include <vector>

#include "llama-log.h"
#include "streaming-worker.h"

namespace cmdai {

namespace {

std::string MetaString(const llama_model * model, const char * key) {
    char buf[512];
    int32_t n = llama_model_meta_val_str(model, key, buf, sizeof(buf));
    return n < 0 ? std::string() : std::string(buf, std::min<size_t>(n, sizeof(buf) - 1));
}

uint64_t Fnv1a(uint64_t hash, const void * data, size_t size) {
    const auto * bytes = static_cast<const uint8_t *>(data);
    for (size_t i = 0; i < size; i++) {
        hash = (hash ^ bytes[i]) * 1099511628211ULL;
    }
    return hash;
}

std::vector<llama_token> TokensFromJs(Napi::Env env, Napi::Value value) {
    std::vector<llama_token> tokens;
    if (value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
        Napi::Int32Array array = value.As<Napi::Int32Array>();
        tokens.assign(array.Data(), array.Data() + array.ElementLength());
    } else if (value.IsArray()) {
        Napi::Array array = value.As<Napi::Array>();
        tokens.reserve(array.Length());
        for (uint32_t i = 0; i < array.Length(); i++) {
            Napi::Value item = array.Get(i);
            if (!item.IsNumber()) {
                throw MakeError(env, "USAGE", "tokens must be integers");
            }
            tokens.push_back(item.As<Napi::Number>().Int32Value());
        }
    } else {
        throw MakeError(env, "USAGE", "tokens must be an array or Int32Array");
    }
    return tokens;
}

}  // namespace

uint64_t LoadedModel::Fingerprint() const {
    uint64_t hash = 1469598103934665603ULL;
    const uint64_t values[] = {
        llama_model_n_params(model_),
        llama_model_size(model_),
        static_cast<uint64_t>(llama_model_n_embd(model_)),
        static_cast<uint64_t>(llama_model_n_layer(model_)),
        static_cast<uint64_t>(llama_model_n_head_kv(model_)),
        static_cast<uint64_t>(llama_vocab_n_tokens(vocab())),
    };
    hash = Fnv1a(hash, values, sizeof(values));
    char desc[256];
    int32_t n = llama_model_desc(model_, desc, sizeof(desc));
    if (n > 0) {
        hash = Fnv1a(hash, desc, std::min<size_t>(n, sizeof(desc)));
    }
    return hash;
}

// Loads the weights on a libuv thread, streaming progress fractions to JS.
class LoadModelWorker : public StreamingWorker<float> {
  public:
    LoadModelWorker(Napi::Env env, Napi::Object self, LlamaModel * model, std::string path, bool useMmap,
                    bool repackWeights, bool vocabOnly, Napi::Value onProgress) :
        StreamingWorker(env, "cmdai.loadModel", onProgress),
        self_(Napi::Persistent(self)),
        model_(model),
        path_(std::move(path)),
        useMmap_(useMmap),
        repackWeights_(repackWeights),
        vocabOnly_(vocabOnly) {}

  protected:
    void Execute() override {
        llama_model * loaded = nullptr;
        std::string reason;
        try {
            LogCapture capture;
            llama_model_params params = llama_model_default_params();
            params.load_mode = useMmap_ ? LLAMA_LOAD_MODE_AUTO : LLAMA_LOAD_MODE_NONE;
            params.use_extra_bufts = repackWeights_;
            params.vocab_only = vocabOnly_;
            params.progress_callback = &LoadModelWorker::OnProgress;
            params.progress_callback_user_data = this;
            auto started = std::chrono::steady_clock::now();
            loaded = llama_model_load_from_file(path_.c_str(), params);
            loadMs_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
            reason = capture.Reason();
        } catch (const std::exception & err) {
            reason = err.what();
        }

        {
            std::lock_guard<std::mutex> lock(model_->mutex_);
            model_->loading_ = false;
            if (model_->releasedAtTeardown_ && loaded != nullptr) {
                llama_model_free(loaded);
                loaded = nullptr;
            }
            model_->pendingModel_ = loaded;
            model_->idle_.notify_all();
        }

        if (loaded == nullptr) {
            if (model_->abortLoad_) {
                Fail("ABORTED", "loading the model was aborted");
            } else {
                Fail("MODEL_INVALID",
                     "cannot load model " + path_ + ": " + (reason.empty() ? "llama.cpp rejected the file" : reason));
            }
        }
    }

    void Deliver(Napi::Env env, Napi::Function listener, float & fraction) override {
        try {
            listener.Call({Napi::Number::New(env, fraction)});
        } catch (const Napi::Error &) {
            // A throwing progress listener must not take the load down with it.
        }
    }

    Napi::Value Result(Napi::Env env) override {
        Napi::Object result = Napi::Object::New(env);
        result.Set("loadMs", Napi::Number::New(env, loadMs_));
        return result;
    }

    void Finish(Napi::Env env) override {
        llama_model * loaded = nullptr;
        {
            std::lock_guard<std::mutex> lock(model_->mutex_);
            std::swap(loaded, model_->pendingModel_);
        }
        if (loaded != nullptr) {
            model_->model_ = std::make_shared<LoadedModel>(loaded);
            model_->reportedBytes_ = static_cast<int64_t>(llama_model_size(loaded));
            AdjustExternalMemory(env, model_->reportedBytes_);
        }
        self_.Reset();
    }

  private:
    static bool OnProgress(float fraction, void * user_data) {
        auto * self = static_cast<LoadModelWorker *>(user_data);
        if (fraction >= 1.0f || fraction - self->lastReported_ >= 0.01f) {
            self->lastReported_ = fraction;
            self->Emit(fraction);
        }
        return !self->model_->abortLoad_;
    }

    Napi::ObjectReference self_;
    LlamaModel * model_;
    std::string path_;
    bool useMmap_;
    bool repackWeights_;
    bool vocabOnly_;
    double loadMs_ = 0;
    float lastReported_ = -1.0f;
};

Napi::Function LlamaModel::DefineClass(Napi::Env env) {
    return ObjectWrap<LlamaModel>::DefineClass(env, "LlamaModel",
                                               {
                                                   InstanceMethod<&LlamaModel::Load>("load"),
                                                   InstanceMethod<&LlamaModel::AbortLoad>("abortLoad"),
                                                   InstanceMethod<&LlamaModel::Info>("info"),
                                                   InstanceMethod<&LlamaModel::Tokenize>("tokenize"),
                                                   InstanceMethod<&LlamaModel::Detokenize>("detokenize"),
                                                   InstanceMethod<&LlamaModel::ApplyChatTemplate>("applyChatTemplate"),
                                                   InstanceMethod<&LlamaModel::Dispose>("dispose"),
                                               });
}

LlamaModel::LlamaModel(const Napi::CallbackInfo & info) :
    Napi::ObjectWrap<LlamaModel>(info),
    addonEnv_(AddonEnv::Get(info.Env())) {
    addonEnv_->Register(this);
}

LlamaModel::~LlamaModel() { addonEnv_->Unregister(this); }

std::shared_ptr<LoadedModel> LlamaModel::Require(Napi::Env env) const {
    if (!model_) {
        throw MakeError(env, "USAGE", "the model is not loaded or was disposed");
    }
    return model_;
}

Napi::Value LlamaModel::Load(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString()) {
        throw MakeError(env, "USAGE", "load(path, options, onProgress): path must be a string");
    }
    Napi::Object options = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
    bool useMmap = !options.Has("useMmap") || options.Get("useMmap").ToBoolean();
    bool repackWeights = !options.Has("repackWeights") || options.Get("repackWeights").ToBoolean();
    bool vocabOnly = options.Has("vocabOnly") && options.Get("vocabOnly").ToBoolean();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (loading_ || model_) {
            throw MakeError(env, "USAGE", "this model object is already loaded or loading");
        }
        loading_ = true;
    }
    path_ = info[0].As<Napi::String>().Utf8Value();
    abortLoad_ = false;
    try {
        auto * worker = new LoadModelWorker(env, info.This().As<Napi::Object>(), this, path_, useMmap, repackWeights,
                                            vocabOnly, info[2]);
        return worker->Start();
    } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        loading_ = false;
        throw;
    }
}

void LlamaModel::AbortLoad(const Napi::CallbackInfo &) { abortLoad_ = true; }

Napi::Value LlamaModel::Info(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    std::shared_ptr<LoadedModel> loaded = Require(env);
    const llama_model * model = loaded->get();
    Napi::Object result = Napi::Object::New(env);
    result.Set("architecture", MetaString(model, "general.architecture"));
    result.Set("name", MetaString(model, "general.name"));
    char desc[256];
    int32_t n = llama_model_desc(model, desc, sizeof(desc));
    result.Set("description", std::string(desc, n > 0 ? std::min<size_t>(n, sizeof(desc) - 1) : 0));
    result.Set("parameters", Napi::Number::New(env, static_cast<double>(llama_model_n_params(model))));
    result.Set("sizeBytes", Napi::Number::New(env, static_cast<double>(llama_model_size(model))));
    result.Set("trainContextSize", Napi::Number::New(env, llama_model_n_ctx_train(model)));
    result.Set("vocabSize", Napi::Number::New(env, llama_vocab_n_tokens(loaded->vocab())));
    const char * chatTemplate = llama_model_chat_template(model, nullptr);
    result.Set("chatTemplate",
               chatTemplate != nullptr ? Napi::Value(Napi::String::New(env, chatTemplate)) : env.Null());
    return result;
}

Napi::Value LlamaModel::Tokenize(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    std::shared_ptr<LoadedModel> loaded = Require(env);
    if (!info[0].IsString()) {
        throw MakeError(env, "USAGE", "tokenize(text, addSpecial, parseSpecial): text must be a string");
    }
    std::string text = info[0].As<Napi::String>().Utf8Value();
    bool addSpecial = info[1].ToBoolean();
    bool parseSpecial = info[2].ToBoolean();
    if (text.size() > static_cast<size_t>(INT32_MAX) / 2) {
        throw MakeError(env, "USAGE", "the text is too long to tokenize");
    }
    // A token covers at least one byte, plus room for BOS/EOS.
    std::vector<llama_token> tokens(text.size() + 4);
    int32_t n = llama_tokenize(loaded->vocab(), text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                               static_cast<int32_t>(tokens.size()), addSpecial, parseSpecial);
    if (n < 0) {
        tokens.resize(static_cast<size_t>(-n));
        n = llama_tokenize(loaded->vocab(), text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                           static_cast<int32_t>(tokens.size()), addSpecial, parseSpecial);
        if (n < 0) {
            throw MakeError(env, "GENERATION", "llama.cpp could not tokenize the text");
        }
    }
    Napi::Int32Array result = Napi::Int32Array::New(env, n);
    std::copy(tokens.begin(), tokens.begin() + n, result.Data());
    return result;
}

Napi::Value LlamaModel::Detokenize(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    std::shared_ptr<LoadedModel> loaded = Require(env);
    std::vector<llama_token> tokens = TokensFromJs(env, info[0]);
    bool renderSpecial = info[1].ToBoolean();
    const int32_t vocabSize = llama_vocab_n_tokens(loaded->vocab());
    for (llama_token token : tokens) {
        if (token < 0 || token >= vocabSize) {
            throw MakeError(env, "USAGE",
                            "token id " + std::to_string(token) + " is outside the vocabulary (0.." +
                                std::to_string(vocabSize - 1) + ")");
        }
    }
    std::string text(tokens.size() * 8 + 16, '\0');
    int32_t n = llama_detokenize(loaded->vocab(), tokens.data(), static_cast<int32_t>(tokens.size()), text.data(),
                                 static_cast<int32_t>(text.size()), false, renderSpecial);
    if (n < 0) {
        text.resize(static_cast<size_t>(-n));
        n = llama_detokenize(loaded->vocab(), tokens.data(), static_cast<int32_t>(tokens.size()), text.data(),
                             static_cast<int32_t>(text.size()), false, renderSpecial);
    }
    text.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return Napi::String::New(env, text);
}

Napi::Value LlamaModel::ApplyChatTemplate(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    std::shared_ptr<LoadedModel> loaded = Require(env);
    if (!info[0].IsArray()) {
        throw MakeError(env, "USAGE", "applyChatTemplate(messages, addAssistant): messages must be an array");
    }
    const char * chatTemplate = llama_model_chat_template(loaded->get(), nullptr);
    if (chatTemplate == nullptr) {
        throw MakeError(env, "MODEL_INVALID",
                        "the model has no chat template in its metadata (tokenizer.chat_template)");
    }
    Napi::Array messages = info[0].As<Napi::Array>();
    std::vector<std::string> roles;
    std::vector<std::string> contents;
    size_t totalChars = 0;
    for (uint32_t i = 0; i < messages.Length(); i++) {
        Napi::Value item = messages.Get(i);
        if (!item.IsObject()) {
            throw MakeError(env, "USAGE", "each chat message must be an object with role and content");
        }
        Napi::Object message = item.As<Napi::Object>();
        roles.push_back(message.Get("role").ToString().Utf8Value());
        contents.push_back(message.Get("content").ToString().Utf8Value());
        totalChars += roles.back().size() + contents.back().size();
    }
    std::vector<llama_chat_message> chat;
    for (size_t i = 0; i < roles.size(); i++) {
        chat.push_back({roles[i].c_str(), contents[i].c_str()});
    }
    bool addAssistant = info[1].ToBoolean();
    std::vector<char> buf(totalChars * 2 + 256);
    int32_t n = llama_chat_apply_template(chatTemplate, chat.data(), chat.size(), addAssistant, buf.data(),
                                          static_cast<int32_t>(buf.size()));
    if (n > static_cast<int32_t>(buf.size())) {
        buf.resize(n);
        n = llama_chat_apply_template(chatTemplate, chat.data(), chat.size(), addAssistant, buf.data(),
                                      static_cast<int32_t>(buf.size()));
    }
    if (n < 0) {
        throw MakeError(env, "MODEL_INVALID",
                        "the model's chat template is not one llama.cpp recognizes, so it cannot be applied");
    }
    return Napi::String::New(env, buf.data(), n);
}

void LlamaModel::Dispose(const Napi::CallbackInfo & info) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (loading_) {
            throw MakeError(info.Env(), "USAGE", "the model is still loading; abort or await the load first");
        }
    }
    Free(info.Env());
}

void LlamaModel::Free(Napi::Env env) {
    model_.reset();  // contexts still using the weights keep them alive until they go
    if (reportedBytes_ != 0) {
        AdjustExternalMemory(env, -reportedBytes_);
        reportedBytes_ = 0;
    }
}

void LlamaModel::Finalize(Napi::Env env) { Free(env); }

void LlamaModel::ReleaseAtTeardown() {
    abortLoad_ = true;
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait(lock, [this] { return !loading_; });
    releasedAtTeardown_ = true;
    if (pendingModel_ != nullptr) {
        llama_model_free(pendingModel_);
        pendingModel_ = nullptr;
    }
    model_.reset();
    reportedBytes_ = 0;
}

}  // namespace cmdai
