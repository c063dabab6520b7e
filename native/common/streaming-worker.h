// An AsyncWorker that runs one blocking call off the JS thread, streams events to a JS
// listener while it runs, and settles a Promise only after every event has reached JS.
//
// Napi::AsyncWorker completes through its own libuv handle and a ThreadSafeFunction through
// another, so their order is not guaranteed. Settling in the ThreadSafeFunction's finalizer,
// which runs after its queue is drained, makes "all events, then the result" a guarantee.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "env-state.h"

namespace cmdai {

template <typename Event>
class StreamingWorker : public Napi::AsyncWorker {
  public:
    // Queues the work and returns the promise it settles.
    Napi::Promise Start() {
        Queue();
        return deferred_.Promise();
    }

  protected:
    StreamingWorker(Napi::Env env, const char * name, Napi::Value listener) :
        Napi::AsyncWorker(env, name),
        deferred_(Napi::Promise::Deferred::New(env)),
        envState_(EnvState::Get(env)),
        hasListener_(listener.IsFunction()) {
        SuppressDestruct();  // deleted by the ThreadSafeFunction finalizer instead
        Napi::Function callback =
            hasListener_ ? listener.As<Napi::Function>() : Napi::Function::New(env, [](const Napi::CallbackInfo &) {});
        events_ = Napi::ThreadSafeFunction::New(env, callback, name, 0, 1, this,
                                                [](Napi::Env closingEnv, StreamingWorker * self) { self->OnEventsClosed(closingEnv); });
        envState_->KeepCleanupHookFirst();
    }

    // Worker thread: hands an event to the JS thread (never blocks).
    void Emit(Event event) {
        if (!hasListener_) {
            return;
        }
        auto * boxed = new Event(std::move(event));
        napi_status status = events_.NonBlockingCall(boxed, [this](Napi::Env env, Napi::Function listener, Event * data) {
            std::unique_ptr<Event> owned(data);
            if (env != nullptr && listener != nullptr) {
                Deliver(env, listener, *owned);
            }
        });
        if (status != napi_ok) {
            delete boxed;
        }
    }

    // Worker thread: fails the call with a stable error code.
    void Fail(const std::string & code, const std::string & message) {
        errorCode_ = code;
        SetError(message);
    }

    // JS thread: turns one event into a listener call.
    virtual void Deliver(Napi::Env env, Napi::Function listener, Event & event) = 0;
    // JS thread: the promise's value on success.
    virtual Napi::Value Result(Napi::Env env) = 0;
    // JS thread: after success or failure, before the promise settles (release references here).
    virtual void Finish(Napi::Env /*env*/) {}

    bool hasListener() const { return hasListener_; }

  private:
    void OnOK() override {
        succeeded_ = true;
        Complete();
    }

    void OnError(const Napi::Error & error) override {
        errorMessage_ = error.Message();
        Complete();
    }

    void Complete() {
        completed_ = true;
        if (!eventsClosed_) {
            events_.Release();
        }
    }

    void OnEventsClosed(Napi::Env env) {
        eventsClosed_ = true;
        if (!completed_ || envState_->tearingDown()) {
            // Environment teardown closed the queue before the work came back; the teardown hook
            // has already stopped and freed the native resources. Leak this small object rather
            // than race libuv for it.
            return;
        }
        try {
            Napi::HandleScope scope(env);
            Finish(env);
            if (succeeded_) {
                deferred_.Resolve(Result(env));
            } else {
                deferred_.Reject(MakeError(env, errorCode_.empty() ? "GENERATION" : errorCode_, errorMessage_).Value());
            }
        } catch (const Napi::Error &) {
            // The environment is shutting down (a worker being terminated): JS can no longer
            // run, so there is nobody to tell.
        }
        delete this;
    }

    Napi::Promise::Deferred deferred_;
    std::shared_ptr<EnvState> envState_;
    Napi::ThreadSafeFunction events_;
    bool hasListener_;
    bool succeeded_ = false;
    bool completed_ = false;
    bool eventsClosed_ = false;
    std::string errorCode_;
    std::string errorMessage_;
};

}  // namespace cmdai
