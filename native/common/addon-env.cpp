#include "addon-env.h"

#include <algorithm>
#include <vector>

namespace cmdai {

namespace {

// Instance data owns one strong reference; wrappers own the others.
struct InstanceData {
    std::shared_ptr<AddonEnv> state;
};

}  // namespace

std::shared_ptr<AddonEnv> AddonEnv::Create(Napi::Env env, Napi::Object exports) {
    std::shared_ptr<AddonEnv> state(new AddonEnv(env));
    env.SetInstanceData(new InstanceData{state});
    napi_add_env_cleanup_hook(env, OnCleanup, state.get());
    exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
    return state;
}

std::shared_ptr<AddonEnv> AddonEnv::Get(Napi::Env env) { return env.GetInstanceData<InstanceData>()->state; }

void AddonEnv::Register(TeardownResource * resource) {
    std::lock_guard<std::mutex> lock(mutex_);
    resources_.insert(resource);
}

void AddonEnv::Unregister(TeardownResource * resource) {
    std::lock_guard<std::mutex> lock(mutex_);
    resources_.erase(resource);
}

void AddonEnv::KeepCleanupHookFirst() {
    if (tearingDown_) {
        return;
    }
    napi_remove_env_cleanup_hook(env_, OnCleanup, this);
    napi_add_env_cleanup_hook(env_, OnCleanup, this);
}

void AddonEnv::KeepClass(const std::string & name, Napi::Function constructor) {
    classes_[name] = Napi::Persistent(constructor);
}

Napi::Function AddonEnv::Class(const std::string & name) const { return classes_.at(name).Value(); }

Napi::Value AddonEnv::SetErrorClass(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (!info[0].IsFunction()) {
        throw ::cmdai::MakeError(env, "USAGE", "setErrorClass(ErrorClass): ErrorClass must be a class");
    }
    Get(env)->errorClass_ = Napi::Persistent(info[0].As<Napi::Function>());
    return env.Undefined();
}

Napi::Error AddonEnv::MakeError(Napi::Env env, const std::string & code, const std::string & message) const {
    if (!errorClass_.IsEmpty()) {
        Napi::Value error = errorClass_.Value().New({Napi::String::New(env, code), Napi::String::New(env, message)});
        return Napi::Error(env, error);
    }
    Napi::Error error = Napi::Error::New(env, message);
    error.Value().Set("code", Napi::String::New(env, code));
    return error;
}

void AddonEnv::OnCleanup(void * arg) {
    auto * self = static_cast<AddonEnv *>(arg);
    self->tearingDown_ = true;
    std::vector<TeardownResource *> resources;
    {
        std::lock_guard<std::mutex> lock(self->mutex_);
        resources.assign(self->resources_.begin(), self->resources_.end());
    }
    std::stable_sort(resources.begin(), resources.end(),
                     [](TeardownResource * a, TeardownResource * b) { return a->TeardownRank() < b->TeardownRank(); });
    for (TeardownResource * resource : resources) {
        resource->ReleaseAtTeardown();
    }
    self->classes_.clear();
    self->errorClass_.Reset();
}

void AdjustExternalMemory(Napi::Env env, int64_t changeInBytes) {
    int64_t adjusted = 0;
    napi_adjust_external_memory(env, changeInBytes, &adjusted);
}

Napi::Error MakeError(Napi::Env env, const std::string & code, const std::string & message) {
    return AddonEnv::Get(env)->MakeError(env, code, message);
}

}  // namespace cmdai
