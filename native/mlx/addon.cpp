// Node-API binding of the MLX engine (cmdai_mlx.node). One `MlxModel` per loaded model, each
// with its own native thread (MLX binds its default streams to the thread that uses them);
// every method is one StreamingCall run on that thread, settling a Promise on the JS thread.
// Per-environment state, errors and teardown come from native/common, as in cmdai.node.
// The raw surface is typed in lib/engine/mlx/binding.ts.
#include <napi.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>

#include "addon-env.h"
#include "js-values.h"
#include "model_thread.h"
#include "session.h"
#include "streaming-worker.h"

namespace cmdai::mlx_engine {

namespace {

// State only the model thread touches.
struct ThreadState {
    std::unique_ptr<Session> session;
    std::unique_ptr<Sampler> stepSampler;
};

Napi::Object ObjectArg(const Napi::CallbackInfo & info, size_t index, const char * what) {
    if (!info[index].IsObject()) {
        throw MakeError(info.Env(), "USAGE", std::string(what) + " must be an object");
    }
    return info[index].As<Napi::Object>();
}

std::vector<int32_t> Int32List(const Napi::Value & v, const char * what) {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
        throw MakeError(v.Env(), "USAGE", std::string(what) + " must be an Int32Array");
    }
    Napi::Int32Array a = v.As<Napi::Int32Array>();
    return std::vector<int32_t>(a.Data(), a.Data() + a.ElementLength());
}

SamplingParams SamplingFrom(const Napi::Object & o) {
    SamplingParams p;
    p.temperature = OptionalFloat(o, "temperature", 0.0f);
    p.top_k = OptionalInt(o, "topK", 0);
    p.top_p = OptionalFloat(o, "topP", 1.0f);
    p.min_p = OptionalFloat(o, "minP", 0.0f);
    Napi::Value seed = o.Get("seed");
    if (seed.IsNumber()) {
        p.has_seed = true;
        p.seed = static_cast<uint64_t>(seed.As<Napi::Number>().Int64Value());
    }
    return p;
}

// config.json's whole-number and real-number fields by name, read over Qwen2Config's defaults.
constexpr std::pair<const char *, int Qwen2Config::*> kConfigInts[] = {
    {"hidden_size", &Qwen2Config::hidden_size},
    {"intermediate_size", &Qwen2Config::intermediate_size},
    {"num_hidden_layers", &Qwen2Config::num_hidden_layers},
    {"num_attention_heads", &Qwen2Config::num_attention_heads},
    {"num_key_value_heads", &Qwen2Config::num_key_value_heads},
    {"vocab_size", &Qwen2Config::vocab_size},
    {"quantization_group_size", &Qwen2Config::quantization_group_size},
    {"quantization_bits", &Qwen2Config::quantization_bits},
};
constexpr std::pair<const char *, float Qwen2Config::*> kConfigFloats[] = {
    {"rms_norm_eps", &Qwen2Config::rms_norm_eps},
    {"rope_theta", &Qwen2Config::rope_theta},
};

Qwen2Config ConfigFrom(const Napi::Object & o) {
    Qwen2Config c;
    for (const auto & [key, member] : kConfigInts) {
        c.*member = OptionalInt(o, key, c.*member);
    }
    for (const auto & [key, member] : kConfigFloats) {
        c.*member = OptionalFloat(o, key, c.*member);
    }
    if (!o.Get("num_key_value_heads").IsNumber()) {
        c.num_key_value_heads = c.num_attention_heads;  // no grouped-query attention
    }
    c.tie_word_embeddings = o.Get("tie_word_embeddings").ToBoolean().Value();
    if (c.hidden_size <= 0 || c.num_hidden_layers <= 0 || c.num_attention_heads <= 0 || c.vocab_size <= 0 ||
        c.num_key_value_heads <= 0 || c.hidden_size % c.num_attention_heads != 0) {
        throw MakeError(
            o.Env(), "USAGE",
            "invalid Qwen2 config: sizes must be positive and hidden_size divisible by num_attention_heads");
    }
    return c;
}

const char * StopReasonName(StopReason r) {
    switch (r) {
        case StopReason::kEndOfGeneration:
            return "eos";
        case StopReason::kAbort:
            return "abort";
        default:
            return "length";
    }
}

// One method call run on a model's thread: `work` there, `toValue` on the JS thread, and token
// ids streamed to the listener in between.
template <typename T>
class ModelCall : public StreamingCall<int32_t> {
  public:
    using Work = std::function<T(ThreadState &, ModelCall &)>;
    using ToValue = std::function<Napi::Value(Napi::Env, T &)>;
    using Settled = std::function<void(Napi::Env)>;

    ModelCall(Napi::Env env, Napi::Value listener, Work work, ToValue toValue, Settled settled) :
        StreamingCall<int32_t>(env, "cmdai.mlx", listener),
        work_(std::move(work)),
        toValue_(std::move(toValue)),
        settled_(std::move(settled)) {}

    // Model thread: runs the work and completes the call, whatever happens.
    void Run(ThreadState & state) {
        try {
            value_.emplace(work_(state, *this));
        } catch (const std::exception & e) {
            Fail("GENERATION", std::string("The MLX engine failed: ") + e.what());
        } catch (...) {
            Fail("GENERATION", "The MLX engine failed with an unknown native error");
        }
        Complete();
    }

    // JS thread, when the model's thread no longer takes work.
    void Refuse(const std::string & message) {
        Fail("USAGE", message);
        Complete();
    }

    void EmitToken(int32_t token) { Emit(token); }

  protected:
    void Deliver(Napi::Env env, Napi::Function listener, int32_t & token) override {
        try {
            listener.Call({Napi::Number::New(env, token)});
        } catch (const Napi::Error &) {
            // A throwing onToken callback must not take the process down; the TS layer reports it.
        }
    }

    Napi::Value Result(Napi::Env env) override { return toValue_(env, *value_); }

    void Finish(Napi::Env env) override {
        if (settled_) {
            settled_(env);
        }
    }

  private:
    Work work_;
    ToValue toValue_;
    Settled settled_;
    std::optional<T> value_;
};

constexpr const char * kDisposed = "the model was disposed; load it again";

}  // namespace

class MlxModel : public Napi::ObjectWrap<MlxModel>, public TeardownResource {
  public:
    static Napi::Function DefineClass(Napi::Env env) {
        return ObjectWrap<MlxModel>::DefineClass(env, "MlxModel",
                                                 {
                                                     InstanceMethod<&MlxModel::Load>("load"),
                                                     InstanceMethod<&MlxModel::Generate>("generate"),
                                                     InstanceMethod<&MlxModel::Prefill>("prefill"),
                                                     InstanceMethod<&MlxModel::Step>("step"),
                                                     InstanceMethod<&MlxModel::Abort>("abort"),
                                                     InstanceMethod<&MlxModel::Dispose>("dispose"),
                                                     InstanceMethod<&MlxModel::StopNow>("stopNow"),
                                                 });
    }

    explicit MlxModel(const Napi::CallbackInfo & info) :
        Napi::ObjectWrap<MlxModel>(info),
        addonEnv_(AddonEnv::Get(info.Env())),
        state_(std::make_shared<ThreadState>()) {
        addonEnv_->Register(this);
    }

    ~MlxModel() override {
        addonEnv_->Unregister(this);
        Shutdown(nullptr);
    }

    // GC finalizer (public: node-addon-api only calls a Finalize it can see).
    void Finalize(Napi::Env env) override { Shutdown(env); }

  private:
    // Environment teardown (process exit, worker termination) with the model still loaded.
    void ReleaseAtTeardown() override { Shutdown(nullptr); }
    int TeardownRank() const override { return 0; }

    // Stops the thread (after the current task, which sees the abort flags) and frees MLX
    // memory; `env` is null when JS can no longer be told about the freed memory.
    void Shutdown(napi_env env) {
        if (shutDown_) {
            return;
        }
        shutDown_ = true;
        for (auto & [id, flag] : aborts_) {
            flag->store(true);
        }
        thread_.post([state = state_] {
            state->stepSampler.reset();
            state->session.reset();
            mlx::core::clear_cache();
        });
        thread_.stop_and_join();
        if (env != nullptr && reportedBytes_ != 0) {
            AdjustExternalMemory(Napi::Env(env), -reportedBytes_);
        }
        reportedBytes_ = 0;
    }

    // Runs `work` on the model's thread; the returned promise settles with `toValue` of its result.
    template <typename T>
    Napi::Value RunOnModelThread(Napi::Env env, typename ModelCall<T>::Work work,
                                 typename ModelCall<T>::ToValue toValue, Napi::Value listener = Napi::Value(),
                                 std::function<void()> onSettled = nullptr) {
        if (pending_++ == 0) {
            Ref();  // keep this object alive while its thread works for it
        }
        auto settled = [this, onSettled](Napi::Env) {
            if (onSettled) {
                onSettled();
            }
            if (--pending_ == 0) {
                Unref();
            }
        };
        auto * call = new ModelCall<T>(env, listener.IsEmpty() ? env.Undefined() : listener, std::move(work),
                                       std::move(toValue), settled);
        Napi::Promise promise = call->Promise();
        const bool queued = !shutDown_ && !disposing_ && thread_.post([state = state_, call] { call->Run(*state); });
        if (!queued) {
            call->Refuse(kDisposed);
        }
        return promise;
    }

    Napi::Value Load(const Napi::CallbackInfo & info) {
        Napi::Object specObj = ObjectArg(info, 0, "load(spec): spec");
        LoadSpec spec;
        if (!specObj.Get("weightFiles").IsArray() || !specObj.Get("config").IsObject()) {
            throw MakeError(info.Env(), "USAGE",
                            "load(spec): spec needs weightFiles (an array) and config (an object)");
        }
        Napi::Array files = specObj.Get("weightFiles").As<Napi::Array>();
        for (uint32_t i = 0; i < files.Length(); ++i) {
            spec.weight_files.push_back(files.Get(i).ToString());
        }
        spec.config = ConfigFrom(specObj.Get("config").As<Napi::Object>());
        spec.context_size = OptionalInt(specObj, "contextSize", 4096);
        spec.batch_size = OptionalInt(specObj, "batchSize", 512);

        struct Loaded {
            double parameters;
            double weightBytes;
            double loadMs;
        };
        return RunOnModelThread<Loaded>(
            info.Env(),
            [spec](ThreadState & s, ModelCall<Loaded> &) {
                const auto start = std::chrono::steady_clock::now();
                s.session = std::make_unique<Session>(spec);
                const double ms =
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
                return Loaded{double(s.session->model().parameter_count()), double(s.session->model().weight_bytes()),
                              ms};
            },
            [this](Napi::Env env, Loaded & r) {
                reportedBytes_ += static_cast<int64_t>(r.weightBytes);
                AdjustExternalMemory(env, static_cast<int64_t>(r.weightBytes));
                Napi::Object o = Napi::Object::New(env);
                o.Set("parameters", r.parameters);
                o.Set("weightBytes", r.weightBytes);
                o.Set("loadMs", r.loadMs);
                return o;
            });
    }

    // A flag generation `id` polls between tokens; forgotten when its call settles.
    std::shared_ptr<std::atomic<bool>> AbortFlagFor(const Napi::Value & id) {
        auto flag = std::make_shared<std::atomic<bool>>(false);
        if (id.IsNumber()) {
            aborts_[id.As<Napi::Number>().Int32Value()] = flag;
        }
        return flag;
    }

    std::function<void()> ForgetAbortFlag(const Napi::Value & id) {
        if (!id.IsNumber()) {
            return nullptr;
        }
        const int32_t job = id.As<Napi::Number>().Int32Value();
        return [this, job] {
            aborts_.erase(job);
        };
    }

    // generate(jobId, prompt: Int32Array, options, onToken(id)) -> Promise<result>
    Napi::Value Generate(const Napi::CallbackInfo & info) {
        GenerateSpec spec;
        spec.prompt = Int32List(info[1], "prompt");
        Napi::Object opts = ObjectArg(info, 2, "generate(jobId, prompt, options): options");
        spec.sampling = SamplingFrom(opts);
        spec.max_tokens = OptionalInt(opts, "maxTokens", 0);
        spec.end_tokens = Int32List(opts.Get("endTokens"), "endTokens");
        auto abort = AbortFlagFor(info[0]);
        return RunOnModelThread<GenerateResult>(
            info.Env(),
            [spec, abort](ThreadState & s, ModelCall<GenerateResult> & call) {
                if (!s.session) {
                    throw std::runtime_error("the model is not loaded");
                }
                return s.session->generate(spec, *abort, [&call](int32_t token) { call.EmitToken(token); });
            },
            [](Napi::Env env, GenerateResult & r) {
                Napi::Object o = Napi::Object::New(env);
                Napi::Int32Array tokens = Napi::Int32Array::New(env, r.tokens.size());
                std::copy(r.tokens.begin(), r.tokens.end(), tokens.Data());
                o.Set("tokens", tokens);
                o.Set("stopReason", StopReasonName(r.stop_reason));
                SetTimingsOn(o, r.timings);
                return o;
            },
            info[3], ForgetAbortFlag(info[0]));
    }

    // prefill(prompt: Int32Array, sampling) -> Promise<{ promptMs, cachedTokens }>; starts a
    // step-by-step sequence.
    Napi::Value Prefill(const Napi::CallbackInfo & info) {
        std::vector<int32_t> prompt = Int32List(info[0], "prompt");
        SamplingParams sampling = SamplingFrom(ObjectArg(info, 1, "prefill(prompt, sampling): sampling"));
        return RunOnModelThread<Session::PrefillResult>(
            info.Env(),
            [prompt, sampling](ThreadState & s, ModelCall<Session::PrefillResult> &) {
                if (!s.session) {
                    throw std::runtime_error("the model is not loaded");
                }
                Session::PrefillResult result = s.session->prefill(prompt);
                s.stepSampler = std::make_unique<Sampler>(sampling);
                return result;
            },
            [](Napi::Env env, Session::PrefillResult & r) {
                Napi::Object o = Napi::Object::New(env);
                o.Set("promptMs", r.ms);
                o.Set("cachedTokens", r.reused_tokens);
                return o;
            });
    }

    // step(feedToken: number, allowed: Int32Array | null) -> Promise<number>
    // Appends `feedToken` (when >= 0), then samples the next token among `allowed` (all when
    // null). Resolves to -1 when no allowed token exists.
    Napi::Value Step(const Napi::CallbackInfo & info) {
        if (!info[0].IsNumber()) {
            throw MakeError(info.Env(), "USAGE", "step(feedToken, allowed): feedToken must be a number");
        }
        const int32_t feed = info[0].As<Napi::Number>().Int32Value();
        std::vector<int32_t> allowed;
        if (!info[1].IsNull() && !info[1].IsUndefined()) {
            allowed = Int32List(info[1], "allowed");
        }
        return RunOnModelThread<int32_t>(
            info.Env(),
            [feed, allowed](ThreadState & s, ModelCall<int32_t> &) {
                if (!s.session || !s.stepSampler) {
                    throw std::runtime_error("step() needs prefill() first");
                }
                if (feed >= 0) {
                    s.session->feed(feed);
                }
                return s.session->sample(*s.stepSampler, allowed);
            },
            [](Napi::Env env, int32_t & token) { return Napi::Number::New(env, token); });
    }

    Napi::Value Abort(const Napi::CallbackInfo & info) {
        if (info[0].IsNumber()) {
            auto it = aborts_.find(info[0].As<Napi::Number>().Int32Value());
            if (it != aborts_.end()) {
                it->second->store(true);
            }
        }
        return info.Env().Undefined();
    }

    // Synchronous: aborts, waits for the model's thread to end and frees the model. For
    // process.exit(), which skips environment teardown: the thread must be gone before exit()
    // destroys MLX's globals under it.
    Napi::Value StopNow(const Napi::CallbackInfo & info) {
        Shutdown(info.Env());
        return info.Env().Undefined();
    }

    Napi::Value Dispose(const Napi::CallbackInfo & info) {
        Napi::Env env = info.Env();
        if (shutDown_ || disposing_) {
            Napi::Promise::Deferred done = Napi::Promise::Deferred::New(env);
            done.Resolve(env.Undefined());
            return done.Promise();
        }
        for (auto & [id, flag] : aborts_) {
            flag->store(true);
        }
        Napi::Value released = RunOnModelThread<bool>(
            env,
            [](ThreadState & s, ModelCall<bool> &) {
                s.stepSampler.reset();
                s.session.reset();
                // MLX keeps freed buffers for reuse; a disposed model should give its memory back.
                mlx::core::clear_cache();
                return true;
            },
            [this](Napi::Env jsEnv, bool &) {
                if (reportedBytes_ != 0) {
                    AdjustExternalMemory(jsEnv, -reportedBytes_);
                    reportedBytes_ = 0;
                }
                return jsEnv.Undefined();
            });
        disposing_ = true;  // later calls are refused; queued ones still finish first
        return released;
    }

    std::shared_ptr<AddonEnv> addonEnv_;
    std::shared_ptr<ThreadState> state_;
    ModelThread thread_;
    std::unordered_map<int32_t, std::shared_ptr<std::atomic<bool>>> aborts_;
    int pending_ = 0;
    int64_t reportedBytes_ = 0;
    bool shutDown_ = false;
    bool disposing_ = false;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
    AddonEnv::Create(env, exports);
    exports.Set("MlxModel", MlxModel::DefineClass(env));
    exports.Set("engine", Napi::String::New(env, "mlx"));
    exports.Set("device",
                Napi::String::New(env, mlx::core::default_device() == mlx::core::Device::gpu ? "gpu" : "cpu"));
    return exports;
}

NODE_API_MODULE(cmdai_mlx, Init)

}  // namespace cmdai::mlx_engine
