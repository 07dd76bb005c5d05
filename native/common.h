// Shared declarations of the latentlens addon: per-environment data, tensor wrapping, JS <-> libtorch
// value conversion and the error boundary that turns every libtorch exception into a JS exception.
#pragma once
#include <napi.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <string>
#include <unordered_map>

namespace ll {

// One per JS environment (main thread or worker), so the addon is context-aware.
//
// Tensors live in a slot table and JS holds plain integer handles. A wrapped native object per tensor
// would need an N-API finalizer, and Node runs those only on a later event-loop tick: a synchronous
// training loop then grows by the wrappers' memory (measured: 6 KB per step) however carefully it disposes.
struct InstanceData {
  std::vector<at::Tensor> slots;
  std::vector<uint32_t> freeSlots;
  // Storage -> (handles alive, bytes reported to V8). External memory is counted once per buffer, not
  // once per handle: views share storage and would otherwise make V8 believe memory is many times larger.
  std::unordered_map<const void*, std::pair<int64_t, int64_t>> storages;
  int64_t reportedBytes = 0;
  Napi::FunctionReference opCtor;
  Napi::FunctionReference scriptCtor;
};
InstanceData& instance(Napi::Env env);

// How tensors appear in values returned to JS: bare handles (typed op calls, whose TypeScript caller
// knows the schema) or {tensor: handle} objects (TorchScript and untyped calls, which may mix in numbers).
enum class TensorForm { Handle, Object };

uint32_t newHandle(Napi::Env env, at::Tensor t);
Napi::Value wrapTensor(Napi::Env env, at::Tensor t, TensorForm form = TensorForm::Handle);  // undefined -> null
at::Tensor& unwrapTensor(Napi::Env env, Napi::Value v, const std::string& what);
void releaseHandle(Napi::Env env, uint32_t id);

at::ScalarType parseDtype(Napi::Env env, Napi::Value v);
std::string dtypeName(at::ScalarType t);
c10::Device parseDevice(Napi::Env env, Napi::Value v);
std::string deviceName(const c10::Device& d);

// `where` names the op and argument for error messages.
c10::IValue toIValue(Napi::Env env, Napi::Value v, const c10::TypePtr& type, c10::optional<int32_t> n,
                     const std::string& where);
// Converts the arguments of a schema from a JS array (undefined = default) and an optional object of
// named arguments; `skip` leading schema arguments are not read (a TorchScript method's self).
torch::jit::Stack buildStack(Napi::Env env, const c10::FunctionSchema& schema, Napi::Value positional,
                             Napi::Value named, size_t skip);
Napi::Value fromIValue(Napi::Env env, const c10::IValue& v, TensorForm form);
Napi::Value fromStack(Napi::Env env, torch::jit::Stack& stack, TensorForm form);

void installCachingAllocator();
Napi::Object allocatorExports(Napi::Env env, Napi::Object exports);

void initTensor(Napi::Env env, Napi::Object exports);
Napi::Function initOp(Napi::Env env);
Napi::Function initScript(Napi::Env env);

}  // namespace ll

#define LL_TRY try {
#define LL_CATCH(env)                                                  \
  }                                                                    \
  catch (const Napi::Error&) {                                         \
    throw;                                                             \
  }                                                                    \
  catch (const c10::Error& e) {                                        \
    throw Napi::Error::New(env, e.what_without_backtrace());           \
  }                                                                    \
  catch (const std::exception& e) {                                    \
    throw Napi::Error::New(env, e.what());                             \
  }
