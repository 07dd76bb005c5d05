// Explicit random generators: a NativeGenerator JS object owns one CPU at::Generator seeded by the
// caller, passed as the `generator` argument of random ATen ops (randn, rand, randperm, normal_,
// uniform_, bernoulli, ...). A library call that draws through its own generator never reads or
// reseeds libtorch's global generator, so its result does not depend on what ran before it, and what
// runs after it is not changed by it. Generators are few and small, so an ObjectWrap (freed by GC on a
// later tick) costs nothing here, unlike tensors (common.h).
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "common.h"

namespace ll {
namespace {

class GeneratorWrap : public Napi::ObjectWrap<GeneratorWrap> {
 public:
  // new NativeGenerator(seed): seed is an integer in [0, 2^53).
  explicit GeneratorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<GeneratorWrap>(info) {
    Napi::Env env = info.Env();
    LL_TRY
    const double d = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0) || d > 9007199254740991.0 || std::floor(d) != d)
      throw Napi::TypeError::New(env, "generator(seed): seed must be an integer in [0, 2^53)");
    generator_ = at::make_generator<at::CPUGeneratorImpl>(uint64_t(d));
    LL_CATCH(env)
  }

  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeGenerator", {
        InstanceAccessor<&GeneratorWrap::InitialSeed>("initialSeed"),
        InstanceAccessor<&GeneratorWrap::Device>("device"),
    });
  }

  const at::Generator& generator() const { return generator_; }

 private:
  Napi::Value InitialSeed(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(generator_.current_seed()));
  }
  Napi::Value Device(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), deviceName(generator_.device()));
  }

  at::Generator generator_;
};

}  // namespace

at::Generator unwrapGenerator(Napi::Env env, Napi::Value v, const std::string& where) {
  InstanceData& d = instance(env);
  if (!v.IsObject() || d.generatorCtor.IsEmpty() || !v.As<Napi::Object>().InstanceOf(d.generatorCtor.Value()))
    throw Napi::TypeError::New(env, where + ": expected a generator (engine generator(seed)) or null");
  return GeneratorWrap::Unwrap(v.As<Napi::Object>())->generator();
}

Napi::Function initGenerator(Napi::Env env) { return GeneratorWrap::Init(env); }

}  // namespace ll
