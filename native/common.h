// Shared declarations of the latentlens addon: per-environment data, tensor wrapping, JS <-> libtorch
// value conversion and the error boundary that turns every libtorch exception into a JS exception.
#pragma once
#include <napi.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <string>
#include <type_traits>
#include <unordered_map>

namespace ll {

// One per JS environment (main thread or worker), so the addon is context-aware.
//
// Tensors live in a slot table and JS holds plain integer handles. A wrapped native object per tensor
// would need an N-API finalizer, and Node runs those only on a later event-loop tick: a synchronous
// training loop then grows by the wrappers' memory (measured: 6 KB per step) however carefully it disposes.
//
// A handle is generation * 2^32 + slot index. A freed slot is reused by the next tensor with the next
// generation, so a stale handle (kept in JS after dispose, or released twice) is refused with an error
// instead of reaching whatever tensor now lives in its slot.
struct TensorSlot {
  at::Tensor tensor;
  uint32_t generation = 1;
};
struct InstanceData {
  std::vector<TensorSlot> slots;
  std::vector<uint32_t> freeSlots;
  // Storage -> (handles alive, bytes reported to V8). External memory is counted once per buffer, not
  // once per handle: views share storage and would otherwise make V8 believe memory is many times larger.
  std::unordered_map<const void*, std::pair<int64_t, int64_t>> storages;
  int64_t reportedBytes = 0;
  Napi::FunctionReference opCtor;
  Napi::FunctionReference scriptCtor;
  Napi::FunctionReference generatorCtor;
};
InstanceData& instance(Napi::Env env);

// How tensors appear in values returned to JS: bare handles (typed op calls, whose TypeScript caller
// knows the schema) or {tensor: handle} objects (TorchScript and untyped calls, which may mix in numbers).
enum class TensorForm { Handle, Object };

double newHandle(Napi::Env env, at::Tensor t);
Napi::Value wrapTensor(Napi::Env env, at::Tensor t, TensorForm form = TensorForm::Handle);  // undefined -> null
// By value (a reference-counted copy): a reference into the slot table would dangle once a later
// allocation grows the table.
at::Tensor unwrapTensor(Napi::Env env, Napi::Value v, const std::string& what);
// Frees the handle's slot; false (and nothing freed) when the handle is stale or unknown.
bool releaseHandle(Napi::Env env, Napi::Value v);

// An explicit random generator (a NativeGenerator object made in JS), for an op's `generator` argument.
at::Generator unwrapGenerator(Napi::Env env, Napi::Value v, const std::string& where);

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
Napi::Function initGenerator(Napi::Env env);
Napi::Function initProcessGroup(Napi::Env env);

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
  }                                                                    \
  catch (...) {                                                        \
    throw Napi::Error::New(env, "latentlens addon: unknown native error"); \
  }

namespace ll {
// A JS function whose body runs inside the error boundary: every entry point of the addon is made with
// this (or LL_TRY/LL_CATCH), so no C++ exception reaches Node as an abort.
template <typename F>
Napi::Function guarded(Napi::Env env, F fn) {
  return Napi::Function::New(env, [fn](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    LL_TRY
    if constexpr (std::is_void_v<decltype(fn(info))>) {
      fn(info);
      return env.Undefined();
    } else {
      return fn(info);
    }
    LL_CATCH(env)
  });
}
}  // namespace ll
