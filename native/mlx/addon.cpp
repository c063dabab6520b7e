// Node-API binding of the MLX engine (cmdai_mlx.node). One `MlxModel` per loaded model, each
// with its own native thread; every method posts to that thread and returns a Promise that is
// settled on the JS thread through one ThreadSafeFunction. Generated tokens travel the same way.
// The raw surface is typed in lib/engine/mlx/binding.ts.
#include <napi.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <unordered_map>

#include "model_thread.h"
#include "session.h"

namespace cmdai::mlx_engine {

namespace {

// State only the model thread touches.
struct ThreadState {
  std::unique_ptr<Session> session;
  std::unique_ptr<Sampler> step_sampler;
};

int32_t get_int(const Napi::Object& o, const char* key, int32_t fallback) {
  auto v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : fallback;
}

float get_float(const Napi::Object& o, const char* key, float fallback) {
  auto v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().FloatValue() : fallback;
}

std::vector<int32_t> int32_list(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an Int32Array");
  }
  auto a = v.As<Napi::Int32Array>();
  return std::vector<int32_t>(a.Data(), a.Data() + a.ElementLength());
}

SamplingParams sampling_from(const Napi::Object& o) {
  SamplingParams p;
  p.temperature = get_float(o, "temperature", 0.0f);
  p.top_k = get_int(o, "topK", 0);
  p.top_p = get_float(o, "topP", 1.0f);
  p.min_p = get_float(o, "minP", 0.0f);
  auto seed = o.Get("seed");
  if (seed.IsNumber()) {
    p.has_seed = true;
    p.seed = static_cast<uint64_t>(seed.As<Napi::Number>().Int64Value());
  }
  return p;
}

Qwen2Config config_from(const Napi::Object& o) {
  Qwen2Config c;
  c.hidden_size = get_int(o, "hidden_size", 0);
  c.intermediate_size = get_int(o, "intermediate_size", 0);
  c.num_hidden_layers = get_int(o, "num_hidden_layers", 0);
  c.num_attention_heads = get_int(o, "num_attention_heads", 0);
  c.num_key_value_heads = get_int(o, "num_key_value_heads", c.num_attention_heads);
  c.vocab_size = get_int(o, "vocab_size", 0);
  c.rms_norm_eps = get_float(o, "rms_norm_eps", 1e-6f);
  c.rope_theta = get_float(o, "rope_theta", 1000000.0f);
  c.tie_word_embeddings = o.Get("tie_word_embeddings").ToBoolean().Value();
  c.quantization_group_size = get_int(o, "quantization_group_size", 64);
  c.quantization_bits = get_int(o, "quantization_bits", 0);
  if (c.hidden_size <= 0 || c.num_hidden_layers <= 0 || c.num_attention_heads <= 0 || c.vocab_size <= 0 ||
      c.num_key_value_heads <= 0 || c.hidden_size % c.num_attention_heads != 0) {
    throw Napi::TypeError::New(o.Env(), "invalid Qwen2 config: sizes must be positive and hidden_size divisible by num_attention_heads");
  }
  return c;
}

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::kEndOfGeneration: return "eos";
    case StopReason::kAbort: return "abort";
    default: return "length";
  }
}

}  // namespace

class MlxModel : public Napi::ObjectWrap<MlxModel> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "MlxModel",
                       {InstanceMethod("load", &MlxModel::Load),
                        InstanceMethod("generate", &MlxModel::Generate),
                        InstanceMethod("prefill", &MlxModel::Prefill),
                        InstanceMethod("step", &MlxModel::Step),
                        InstanceMethod("abort", &MlxModel::Abort),
                        InstanceMethod("dispose", &MlxModel::Dispose),
                        InstanceMethod("stopNow", &MlxModel::StopNow)});
  }

  explicit MlxModel(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<MlxModel>(info), env_(info.Env()), state_(std::make_shared<ThreadState>()) {
    auto noop = Napi::Function::New(env_, [](const Napi::CallbackInfo&) {});
    to_js_ = Napi::ThreadSafeFunction::New(env_, noop, "cmdai-mlx", 0, 1);
    // An idle model must not keep the process alive; pending calls Ref it.
    to_js_.Unref(env_);
    napi_add_env_cleanup_hook(env_, &MlxModel::OnEnvTeardown, this);
  }

  ~MlxModel() override {
    if (!torn_down_) napi_remove_env_cleanup_hook(env_, &MlxModel::OnEnvTeardown, this);
    Shutdown();
  }

 private:
  using JsTask = std::function<void(Napi::Env)>;

  // Process exit or worker termination with the model still loaded.
  static void OnEnvTeardown(void* arg) {
    auto* self = static_cast<MlxModel*>(arg);
    self->torn_down_ = true;
    self->Shutdown();
  }

  // Stops the thread (after the current task, which sees the abort flags) and frees MLX memory.
  void Shutdown() {
    if (shut_down_) return;
    shut_down_ = true;
    for (auto& [id, flag] : aborts_) flag->store(true);
    thread_.post([state = state_] {
      state->step_sampler.reset();
      state->session.reset();
      mlx::core::clear_cache();
    });
    thread_.stop_and_join();
    if (reported_bytes_ != 0 && !torn_down_) {
      Napi::MemoryManagement::AdjustExternalMemory(env_, -reported_bytes_);
      reported_bytes_ = 0;
    }
    to_js_.Release();
  }

  // Posts `task` to run on the JS thread. Safe from the model thread.
  static void PostToJs(Napi::ThreadSafeFunction& tsfn, JsTask task) {
    auto* boxed = new JsTask(std::move(task));
    auto status = tsfn.NonBlockingCall(boxed, [](Napi::Env env, Napi::Function, JsTask* t) {
      try {
        (*t)(env);
      } catch (const Napi::Error& e) {
        // A throwing onToken callback must not take the process down; the TS layer reports it.
        (void)e;
      }
      delete t;
    });
    if (status != napi_ok) delete boxed;  // the environment is going away
  }

  // Runs `work` on the model thread and settles a Promise with `to_value` of its result.
  template <typename Result>
  Napi::Value RunOnModelThread(std::function<Result(ThreadState&)> work,
                               std::function<Napi::Value(Napi::Env, Result&)> to_value,
                               std::function<void()> on_settled = nullptr) {
    auto deferred = std::make_shared<Napi::Promise::Deferred>(env_);
    if (shut_down_ || disposing_) {
      deferred->Reject(Napi::Error::New(env_, "the model was disposed; load it again").Value());
      return deferred->Promise();
    }
    if (pending_++ == 0) {
      to_js_.Ref(env_);
      Ref();  // keep this object alive while the thread works for it
    }
    auto settle = [this, deferred, to_value, on_settled](Napi::Env env, std::shared_ptr<Result> result,
                                                         std::string error) {
      if (on_settled) on_settled();
      if (result) {
        try {
          deferred->Resolve(to_value(env, *result));
        } catch (const Napi::Error& e) {
          deferred->Reject(e.Value());
        }
      } else {
        deferred->Reject(Napi::Error::New(env, error).Value());
      }
      if (--pending_ == 0) {
        if (!shut_down_) to_js_.Unref(env);
        Unref();
      }
    };
    auto tsfn = to_js_;
    bool queued = thread_.post([state = state_, work, settle, tsfn]() mutable {
      std::shared_ptr<Result> result;
      std::string error;
      try {
        result = std::make_shared<Result>(work(*state));
      } catch (const std::exception& e) {
        error = e.what();
      } catch (...) {
        error = "unknown native error in the MLX engine";
      }
      PostToJs(tsfn, [settle, result, error](Napi::Env env) { settle(env, result, error); });
    });
    if (!queued) settle(env_, nullptr, "the model was disposed; load it again");
    return deferred->Promise();
  }

  Napi::Value Load(const Napi::CallbackInfo& info) {
    auto spec_obj = info[0].As<Napi::Object>();
    LoadSpec spec;
    auto files = spec_obj.Get("weightFiles").As<Napi::Array>();
    for (uint32_t i = 0; i < files.Length(); ++i) spec.weight_files.push_back(files.Get(i).ToString());
    spec.config = config_from(spec_obj.Get("config").As<Napi::Object>());
    spec.context_size = get_int(spec_obj, "contextSize", 4096);
    spec.batch_size = get_int(spec_obj, "batchSize", 512);

    struct Loaded { double parameters; double weight_bytes; double load_ms; };
    return RunOnModelThread<Loaded>(
        [spec](ThreadState& s) {
          const auto start = std::chrono::steady_clock::now();
          s.session = std::make_unique<Session>(spec);
          double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
          return Loaded{double(s.session->model().parameter_count()), double(s.session->model().weight_bytes()), ms};
        },
        [this](Napi::Env env, Loaded& r) {
          reported_bytes_ += static_cast<int64_t>(r.weight_bytes);
          Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(r.weight_bytes));
          auto o = Napi::Object::New(env);
          o.Set("parameters", r.parameters);
          o.Set("weightBytes", r.weight_bytes);
          o.Set("loadMs", r.load_ms);
          return o;
        });
  }

  std::shared_ptr<std::atomic<bool>> AbortFlagFor(const Napi::Value& id) {
    auto flag = std::make_shared<std::atomic<bool>>(false);
    if (id.IsNumber()) aborts_[id.As<Napi::Number>().Int32Value()] = flag;
    return flag;
  }

  std::function<void()> ForgetAbortFlag(const Napi::Value& id) {
    if (!id.IsNumber()) return nullptr;
    int32_t job = id.As<Napi::Number>().Int32Value();
    return [this, job] { aborts_.erase(job); };
  }

  // generate(jobId, prompt: Int32Array, options, onToken(id)) -> Promise<result>
  Napi::Value Generate(const Napi::CallbackInfo& info) {
    GenerateSpec spec;
    spec.prompt = int32_list(info[1], "prompt");
    auto opts = info[2].As<Napi::Object>();
    spec.sampling = sampling_from(opts);
    spec.max_tokens = get_int(opts, "maxTokens", 0);
    spec.end_tokens = int32_list(opts.Get("endTokens"), "endTokens");
    // Owned by the JS thread; freed by the last JS task of this call (tasks run in order).
    auto* on_token = info[3].IsFunction() ? new Napi::FunctionReference(Napi::Persistent(info[3].As<Napi::Function>()))
                                          : nullptr;
    auto abort = AbortFlagFor(info[0]);
    auto forget = ForgetAbortFlag(info[0]);
    auto tsfn = to_js_;

    return RunOnModelThread<GenerateResult>(
        [spec, abort, on_token, tsfn](ThreadState& s) mutable {
          if (!s.session) throw std::runtime_error("the model is not loaded");
          return s.session->generate(spec, *abort, [&](int32_t token) {
            if (!on_token) return;
            PostToJs(tsfn, [on_token, token](Napi::Env env) { on_token->Call({Napi::Number::New(env, token)}); });
          });
        },
        [](Napi::Env env, GenerateResult& r) {
          auto o = Napi::Object::New(env);
          auto tokens = Napi::Int32Array::New(env, r.tokens.size());
          std::copy(r.tokens.begin(), r.tokens.end(), tokens.Data());
          o.Set("tokens", tokens);
          o.Set("stopReason", stop_reason_name(r.stop_reason));
          o.Set("promptMs", r.prompt_ms);
          o.Set("cachedTokens", r.reused_tokens);
          o.Set("timeToFirstTokenMs", r.time_to_first_token_ms);
          o.Set("generationMs", r.generation_ms);
          return o;
        },
        [on_token, forget] {
          delete on_token;
          if (forget) forget();
        });
  }

  // prefill(prompt: Int32Array, sampling) -> Promise<{ promptMs, cachedTokens }>; starts a step-by-step sequence.
  Napi::Value Prefill(const Napi::CallbackInfo& info) {
    auto prompt = int32_list(info[0], "prompt");
    auto sampling = sampling_from(info[1].As<Napi::Object>());
    return RunOnModelThread<Session::PrefillResult>(
        [prompt, sampling](ThreadState& s) {
          if (!s.session) throw std::runtime_error("the model is not loaded");
          auto result = s.session->prefill(prompt);
          s.step_sampler = std::make_unique<Sampler>(sampling);
          return result;
        },
        [](Napi::Env env, Session::PrefillResult& r) {
          auto o = Napi::Object::New(env);
          o.Set("promptMs", r.ms);
          o.Set("cachedTokens", r.reused_tokens);
          return o;
        });
  }

  // step(feedToken: number, allowed: Int32Array | null) -> Promise<number>
  // Appends `feedToken` (when >= 0), then samples the next token among `allowed` (all when null).
  // Resolves to -1 when no allowed token exists.
  Napi::Value Step(const Napi::CallbackInfo& info) {
    int32_t feed = info[0].As<Napi::Number>().Int32Value();
    std::vector<int32_t> allowed;
    if (!info[1].IsNull() && !info[1].IsUndefined()) allowed = int32_list(info[1], "allowed");
    return RunOnModelThread<int32_t>(
        [feed, allowed](ThreadState& s) {
          if (!s.session || !s.step_sampler) throw std::runtime_error("step() needs prefill() first");
          if (feed >= 0) s.session->feed(feed);
          return s.session->sample(*s.step_sampler, allowed);
        },
        [](Napi::Env env, int32_t& token) { return Napi::Number::New(env, token); });
  }

  Napi::Value Abort(const Napi::CallbackInfo& info) {
    if (info[0].IsNumber()) {
      auto it = aborts_.find(info[0].As<Napi::Number>().Int32Value());
      if (it != aborts_.end()) it->second->store(true);
    }
    return info.Env().Undefined();
  }

  // Synchronous: aborts, waits for the model's thread to end and frees the model. For
  // process.exit(), which skips environment teardown: the thread must be gone before exit()
  // destroys MLX's globals under it.
  Napi::Value StopNow(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    if (shut_down_ || disposing_) {
      auto done = Napi::Promise::Deferred::New(info.Env());
      done.Resolve(info.Env().Undefined());
      return done.Promise();
    }
    for (auto& [id, flag] : aborts_) flag->store(true);
    auto released = RunOnModelThread<bool>(
        [](ThreadState& s) {
          s.step_sampler.reset();
          s.session.reset();
          // MLX keeps freed buffers for reuse; a disposed model should give its memory back.
          mlx::core::clear_cache();
          return true;
        },
        [this](Napi::Env env, bool&) {
          if (reported_bytes_ != 0) {
            Napi::MemoryManagement::AdjustExternalMemory(env, -reported_bytes_);
            reported_bytes_ = 0;
          }
          return env.Undefined();
        });
    disposing_ = true;  // later calls are refused; queued ones still finish first
    return released;
  }

  Napi::Env env_;
  std::shared_ptr<ThreadState> state_;
  ModelThread thread_;
  Napi::ThreadSafeFunction to_js_;
  std::unordered_map<int32_t, std::shared_ptr<std::atomic<bool>>> aborts_;
  int pending_ = 0;
  int64_t reported_bytes_ = 0;
  bool shut_down_ = false;
  bool disposing_ = false;
  bool torn_down_ = false;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("MlxModel", MlxModel::Define(env));
  exports.Set("engine", Napi::String::New(env, "mlx"));
  exports.Set("device", Napi::String::New(env, mlx::core::default_device() == mlx::core::Device::gpu ? "gpu" : "cpu"));
  return exports;
}

NODE_API_MODULE(cmdai_mlx, Init)

}  // namespace cmdai::mlx_engine
