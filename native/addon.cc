// Entry point of the latentlens addon: classes (ops, TorchScript, generators, c10d process groups), runtime settings (threads,
// OpenBLAS, seed, grad mode, devices) and the allocator, registered per environment so the addon also loads in worker threads.
#include <ATen/autocast_mode.h>
#include <dlfcn.h>

#include <thread>

#include "common.h"

namespace ll {

InstanceData& instance(Napi::Env env) { return *env.GetInstanceData<InstanceData>(); }

namespace {

// Debian's OpenBLAS is the pthread build; its own threads fight libtorch's and oversubscribe the cores.
// It is a dependency of libtorch_cpu, so it is only visible through its own handle, not RTLD_DEFAULT.
bool limitOpenBlasThreads() {
  const char* names[] = {"libopenblas.so.0", "libblas.so.3", "libopenblasp.so.0", "libopenblas.so"};
  for (const char* name : names) {
    void* h = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
    if (h == nullptr) continue;
    auto set = reinterpret_cast<void (*)(int)>(dlsym(h, "openblas_set_num_threads"));
    dlclose(h);
    if (set != nullptr) {
      set(1);
      return true;
    }
  }
  return false;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new InstanceData();
  env.SetInstanceData(data);
  installCachingAllocator();
  const bool openblas = limitOpenBlasThreads();

  initTensor(env, exports);
  Napi::Function op = initOp(env);
  data->opCtor = Napi::Persistent(op);
  Napi::Function script = initScript(env);
  data->scriptCtor = Napi::Persistent(script);
  Napi::Function generator = initGenerator(env);
  data->generatorCtor = Napi::Persistent(generator);
  exports.Set("Op", op);
  exports.Set("Script", script);
  exports.Set("Generator", generator);
  exports.Set("ProcessGroup", initProcessGroup(env));
#ifdef LL_WITH_GLOO
  exports.Set("hasGloo", true);
#else
  exports.Set("hasGloo", false);
#endif
  exports.Set("torchVersion", TORCH_VERSION);
  exports.Set("openblasLimited", openblas);
  allocatorExports(env, exports);

  exports.Set("setNumThreads", guarded(env, [](const Napi::CallbackInfo& info) {
    const int n = info[0].As<Napi::Number>().Int32Value();
    if (n < 1) throw Napi::RangeError::New(info.Env(), "setNumThreads: expected at least 1 thread");
    at::set_num_threads(n);
  }));
  exports.Set("getNumThreads", guarded(env, [](const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), at::get_num_threads());
  }));
  exports.Set("manualSeed", guarded(env, [](const Napi::CallbackInfo& info) {
    const int64_t seed = info[0].As<Napi::Number>().Int64Value();
    torch::manual_seed(uint64_t(seed));
  }));
  exports.Set("setGradEnabled", guarded(env, [](const Napi::CallbackInfo& info) {
    c10::GradMode::set_enabled(info[0].ToBoolean().Value());
  }));
  // CPU autocast (thread-local, like grad mode): ops on autocast's lower-precision list run in bf16.
  // enter returns the previous state for exit to restore, so regions nest.
  exports.Set("enterAutocastCpu", guarded(env, [](const Napi::CallbackInfo& info) {
    const bool was = at::autocast::is_cpu_enabled();
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::increment_nesting();
    at::autocast::set_cpu_enabled(true);
    return Napi::Boolean::New(info.Env(), was);
  }));
  exports.Set("exitAutocastCpu", guarded(env, [](const Napi::CallbackInfo& info) {
    // Leaving the outermost region drops the bf16 copies of the weights cached in it, as PyTorch does.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_cpu_enabled(info[0].ToBoolean().Value());
  }));
  // Backward passes run outside autocast (as PyTorch recommends): the region is paused, not left.
  exports.Set("setAutocastCpuEnabled", guarded(env, [](const Napi::CallbackInfo& info) {
    at::autocast::set_cpu_enabled(info[0].ToBoolean().Value());
  }));
  exports.Set("isAutocastCpu", guarded(env, [](const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), at::autocast::is_cpu_enabled());
  }));
  exports.Set("isGradEnabled", guarded(env, [](const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled());
  }));
  exports.Set("cudaDeviceCount", guarded(env, [](const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(torch::cuda::device_count()));
  }));
  exports.Set("trackedStorage", guarded(env, [](const Napi::CallbackInfo& info) {
    InstanceData& d = instance(info.Env());
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("buffers", double(d.storages.size()));
    o.Set("bytes", double(d.reportedBytes));
    return o;
  }));
  return exports;
}

}  // namespace
}  // namespace ll

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return ll::Init(env, exports); }

NODE_API_MODULE(latentlens, InitAddon)
