#include "env-state.h"

#include <algorithm>
#include <vector>

namespace cmdai {

namespace {

// Instance data owns one strong reference; wrappers own the others.
struct InstanceData {
    std::shared_ptr<EnvState> state;
};

}  // namespace

std::shared_ptr<EnvState> EnvState::Create(Napi::Env env) {
    std::shared_ptr<EnvState> state(new EnvState(env));
    env.SetInstanceData(new InstanceData{state});
    napi_add_env_cleanup_hook(env, OnCleanup, state.get());
    return state;
}

std::shared_ptr<EnvState> EnvState::Get(Napi::Env env) { return env.GetInstanceData<InstanceData>()->state; }

void EnvState::Register(TeardownResource * resource) {
    std::lock_guard<std::mutex> lock(mutex_);
    resources_.insert(resource);
}

void EnvState::Unregister(TeardownResource * resource) {
    std::lock_guard<std::mutex> lock(mutex_);
    resources_.erase(resource);
}

void EnvState::KeepCleanupHookFirst() {
    if (tearingDown_) {
        return;
    }
    napi_remove_env_cleanup_hook(env_, OnCleanup, this);
    napi_add_env_cleanup_hook(env_, OnCleanup, this);
}

void EnvState::OnCleanup(void * arg) {
    auto * self = static_cast<EnvState *>(arg);
    self->tearingDown_ = true;
    std::vector<TeardownResource *> resources;
    {
        std::lock_guard<std::mutex> lock(self->mutex_);
        resources.assign(self->resources_.begin(), self->resources_.end());
    }
    std::stable_sort(resources.begin(), resources.end(), [](TeardownResource * a, TeardownResource * b) {
        return a->TeardownRank() < b->TeardownRank();
    });
    for (TeardownResource * resource : resources) {
        resource->ReleaseAtTeardown();
    }
    self->modelClass.Reset();
    self->contextClass.Reset();
}

void AdjustExternalMemory(Napi::Env env, int64_t changeInBytes) {
    int64_t adjusted = 0;
    napi_adjust_external_memory(env, changeInBytes, &adjusted);
}

Napi::Error MakeError(Napi::Env env, const std::string & code, const std::string & message) {
    Napi::Error error = Napi::Error::New(env, message);
    error.Value().Set("code", Napi::String::New(env, code));
    return error;
}

}  // namespace cmdai
