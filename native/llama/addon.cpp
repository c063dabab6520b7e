// Entry point of cmdai.node: registers the classes and functions of the llama.cpp binding.
#include <napi.h>

#include <algorithm>
#include <mutex>
#include <string>

#include "addon-env.h"
#include "context.h"
#include "json-schema-to-grammar.h"
#include "llama-log.h"
#include "llama.h"
#include "model.h"
#include "peer-uid.h"

#ifdef CMDAI_BACKEND_DL
#    ifdef _WIN32
#        define WIN32_LEAN_AND_MEAN
#        define NOMINMAX
#        include <windows.h>
#    else
#        include <dlfcn.h>
#    endif

#    include "ggml-backend.h"
#endif

namespace cmdai {

namespace {

#ifdef CMDAI_BACKEND_DL
// The folder cmdai.node was loaded from, in UTF-8 (what ggml expects), or "" if the system
// cannot tell.
std::string AddonDirectory() {
#    ifdef _WIN32
    HMODULE self = nullptr;
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            reinterpret_cast<LPCWSTR>(&AddonDirectory), &self)) {
        return {};
    }
    std::wstring path(32768, L'\0');
    DWORD length = GetModuleFileNameW(self, path.data(), static_cast<DWORD>(path.size()));
    if (length == 0 || length >= path.size()) {
        return {};
    }
    path.resize(length);
    const size_t cut = path.find_last_of(L"\\/");
    if (cut == std::wstring::npos) {
        return {};
    }
    path.resize(cut);
    int bytes =
        WideCharToMultiByte(CP_UTF8, 0, path.c_str(), static_cast<int>(path.size()), nullptr, 0, nullptr, nullptr);
    std::string dir(static_cast<size_t>(bytes), '\0');
    WideCharToMultiByte(CP_UTF8, 0, path.c_str(), static_cast<int>(path.size()), dir.data(), bytes, nullptr, nullptr);
    return dir;
#    else
    Dl_info self{};
    if (dladdr(reinterpret_cast<void *>(&AddonDirectory), &self) == 0 || self.dli_fname == nullptr) {
        return {};
    }
    std::string dir(self.dli_fname);
    return dir.substr(0, dir.find_last_of('/'));
#    endif
}
#endif

void InitLlamaOnce() {
    static std::once_flag once;
    std::call_once(once, [] {
        InstallLlamaLogger();
        llama_backend_init();
#ifdef CMDAI_BACKEND_DL
        // CPU variants (and GPU backends) are libraries next to cmdai.node; ggml picks the best
        // one this machine supports.
        const std::string dir = AddonDirectory();
        if (!dir.empty()) {
            ggml_backend_load_all_from_path(dir.c_str());
        } else {
            ggml_backend_load_all();
        }
#endif
    });
}

// jsonSchemaToGrammar(schemaJson: string): string (GBNF with a "root" rule)
Napi::Value JsonSchemaToGrammar(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString()) {
        throw MakeError(env, "USAGE", "jsonSchemaToGrammar(schemaJson): schemaJson must be a string");
    }
    try {
        common_json schema = common_json::parse(info[0].As<Napi::String>().Utf8Value());
        return Napi::String::New(env, json_schema_to_grammar(schema, true));
    } catch (const Napi::Error &) {
        throw;
    } catch (const std::exception & err) {
        std::string reason = err.what();
        std::replace(reason.begin(), reason.end(), '\n', ' ');
        throw MakeError(env, "USAGE", "cannot convert the JSON Schema to a grammar: " + reason);
    }
}

Napi::Value SystemInfo(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    Napi::Object result = Napi::Object::New(env);
    result.Set("llamaVersion", llama_version());
    result.Set("system", llama_print_system_info());
    result.Set("supportsMmap", llama_supports_mmap());
    result.Set("supportsGpuOffload", llama_supports_gpu_offload());
    return result;
}

Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
    InitLlamaOnce();
    std::shared_ptr<AddonEnv> state = AddonEnv::Create(env, exports);
    Napi::Function modelClass = LlamaModel::DefineClass(env);
    Napi::Function contextClass = LlamaContext::DefineClass(env);
    state->KeepClass("LlamaModel", modelClass);
    exports.Set("LlamaModel", modelClass);
    exports.Set("LlamaContext", contextClass);
    exports.Set("jsonSchemaToGrammar", Napi::Function::New(env, JsonSchemaToGrammar, "jsonSchemaToGrammar"));
    exports.Set("systemInfo", Napi::Function::New(env, SystemInfo, "systemInfo"));
    exports.Set("peerUid", Napi::Function::New(env, PeerUid, "peerUid"));
    return exports;
}

}  // namespace

}  // namespace cmdai

static Napi::Object InitCmdaiAddon(Napi::Env env, Napi::Object exports) { return cmdai::InitAddon(env, exports); }

NODE_API_MODULE(cmdai_addon, InitCmdaiAddon)
