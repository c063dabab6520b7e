// One blocking call made off the JS thread, as both addons make them: it streams events to a JS
// listener while it runs, and settles a Promise only after every event has reached JS.
//
// StreamingCall is where the work runs that does not matter: call Emit() from the working
// thread as often as needed, then Complete() once. StreamingWorker runs the work on libuv's
// thread pool (llama.cpp); the MLX engine runs it on each model's own thread.
//
// Events and the settlement travel through one ThreadSafeFunction. Settling in its finalizer,
// which runs after its queue is drained, makes "all events, then the result" a guarantee.
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>
#include <string>

#include "addon-env.h"

namespace cmdai {

template <typename Event>
class StreamingCall {
  public:
    virtual ~StreamingCall() = default;

    // The promise Complete() settles.
    Napi::Promise Promise() { return deferred_.Promise(); }

  protected:
    StreamingCall(Napi::Env env, const char * name, Napi::Value listener) :
        deferred_(Napi::Promise::Deferred::New(env)),
        addonEnv_(AddonEnv::Get(env)),
        hasListener_(listener.IsFunction()) {
        Napi::Function callback =
            hasListener_ ? listener.As<Napi::Function>() : Napi::Function::New(env, [](const Napi::CallbackInfo &) {});
        events_ = Napi::ThreadSafeFunction::New(
            env, callback, name, 0, 1, this,
            [](Napi::Env closingEnv, StreamingCall * self) { self->OnEventsClosed(closingEnv); });
        addonEnv_->KeepCleanupHookFirst();
    }

    // Any thread: hands an event to the JS thread (never blocks).
    void Emit(Event event) {
        if (!hasListener_) {
            return;
        }
        auto * boxed = new Event(std::move(event));
        napi_status status =
            events_.NonBlockingCall(boxed, [this](Napi::Env env, Napi::Function listener, Event * data) {
                std::unique_ptr<Event> owned(data);
                if (env != nullptr && listener != nullptr) {
                    Deliver(env, listener, *owned);
                }
            });
        if (status != napi_ok) {
            delete boxed;
        }
    }

    // Working thread, before Complete(): the call fails with a stable error code.
    void Fail(const std::string & code, const std::string & message) {
        failed_ = true;
        errorCode_ = code;
        errorMessage_ = message;
    }

    // Any thread, once, after the last Emit(): the promise settles when the events are through.
    void Complete() {
        completed_ = true;
        events_.Release();
    }

    // JS thread: turns one event into a listener call.
    virtual void Deliver(Napi::Env env, Napi::Function listener, Event & event) = 0;
    // JS thread: the promise's value on success.
    virtual Napi::Value Result(Napi::Env env) = 0;
    // JS thread: after success or failure, before the promise settles (release references here).
    virtual void Finish(Napi::Env /*env*/) {}

    bool hasListener() const { return hasListener_; }

  private:
    void OnEventsClosed(Napi::Env env) {
        if (!completed_ || addonEnv_->tearingDown()) {
            // Environment teardown closed the queue before the work came back; the teardown hook
            // has already stopped and freed the native resources. Leak this small object rather
            // than race the working thread for it.
            return;
        }
        try {
            Napi::HandleScope scope(env);
            Finish(env);
            if (!failed_) {
                deferred_.Resolve(Result(env));
            } else {
                deferred_.Reject(addonEnv_->MakeError(env, errorCode_, errorMessage_).Value());
            }
        } catch (const Napi::Error &) {
            // The environment is shutting down (a worker being terminated): JS can no longer
            // run, so there is nobody to tell.
        }
        DeleteSelf();
    }

    // Frees this call once it has settled.
    virtual void DeleteSelf() { delete this; }

    Napi::Promise::Deferred deferred_;
    std::shared_ptr<AddonEnv> addonEnv_;
    Napi::ThreadSafeFunction events_;
    bool hasListener_;
    std::atomic<bool> completed_{false};
    bool failed_ = false;
    std::string errorCode_;
    std::string errorMessage_;
};

// A StreamingCall whose work runs in Execute() on libuv's thread pool.
template <typename Event>
class StreamingWorker : public Napi::AsyncWorker, public StreamingCall<Event> {
  public:
    // Queues the work and returns the promise it settles.
    Napi::Promise Start() {
        Queue();
        return this->Promise();
    }

  protected:
    StreamingWorker(Napi::Env env, const char * name, Napi::Value listener) :
        Napi::AsyncWorker(env, name),
        StreamingCall<Event>(env, name, listener) {
        SuppressDestruct();  // deleted once the call has settled instead
    }

  private:
    void OnOK() override { this->Complete(); }

    void OnError(const Napi::Error & error) override {
        this->Fail("GENERATION", error.Message());
        this->Complete();
    }
};

}  // namespace cmdai
