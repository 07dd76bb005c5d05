// TorchScript modules: load a .pt file, call forward or any named method (arguments converted by the
// method's schema), read parameters, switch eval/train, move between devices.
#include "common.h"

namespace ll {
namespace {

class ScriptWrap : public Napi::ObjectWrap<ScriptWrap> {
 public:
  // new NativeScript(path, device?)
  explicit ScriptWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ScriptWrap>(info) {
    Napi::Env env = info.Env();
    LL_TRY
    if (!info[0].IsString()) throw Napi::TypeError::New(env, "loadScript(path): path must be a string");
    const std::string path = info[0].As<Napi::String>().Utf8Value();
    c10::optional<c10::Device> device;
    if (info.Length() > 1 && info[1].IsString()) device = parseDevice(env, info[1]);
    module_ = torch::jit::load(path, device);
    LL_CATCH(env)
  }

  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeScript", {
        InstanceMethod<&ScriptWrap::Call>("call"),
        InstanceMethod<&ScriptWrap::MethodNames>("methodNames"),
        InstanceMethod<&ScriptWrap::MethodSchema>("methodSchema"),
        InstanceMethod<&ScriptWrap::NamedParameters>("namedParameters"),
        InstanceMethod<&ScriptWrap::NamedBuffers>("namedBuffers"),
        InstanceMethod<&ScriptWrap::Train>("train"),
        InstanceMethod<&ScriptWrap::IsTraining>("isTraining"),
        InstanceMethod<&ScriptWrap::To>("to"),
    });
  }

 private:
  torch::jit::Method method(Napi::Env env, Napi::Value name) {
    if (!name.IsString()) throw Napi::TypeError::New(env, "method name must be a string");
    const std::string n = name.As<Napi::String>().Utf8Value();
    auto m = module_->find_method(n);
    if (!m) {
      std::string names;
      for (const auto& x : module_->get_methods()) names += (names.empty() ? "" : ", ") + x.name();
      throw Napi::Error::New(env, "TorchScript module has no method '" + n + "' (it has: " + names + ")");
    }
    return *m;
  }

  // call(methodName, positionalArgs, namedArgs?)
  Napi::Value Call(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    LL_TRY
    torch::jit::Method m = method(env, info[0]);
    torch::jit::Stack stack = buildStack(env, m.function().getSchema(), info[1], info[2], 1);
    return fromIValue(env, m(std::move(stack)), TensorForm::Object);
    LL_CATCH(env)
  }
  Napi::Value MethodNames(const Napi::CallbackInfo& info) {
    LL_TRY
    auto methods = module_->get_methods();
    Napi::Array a = Napi::Array::New(info.Env(), methods.size());
    for (size_t i = 0; i < methods.size(); i++) a.Set(uint32_t(i), methods[i].name());
    return a;
    LL_CATCH(info.Env())
  }
  Napi::Value MethodSchema(const Napi::CallbackInfo& info) {
    LL_TRY
    return Napi::String::New(info.Env(), c10::toString(method(info.Env(), info[0]).function().getSchema()));
    LL_CATCH(info.Env())
  }
  template <typename List>
  Napi::Value pairs(Napi::Env env, List list) {
    Napi::Array a = Napi::Array::New(env);
    uint32_t i = 0;
    for (const auto& item : list) {
      Napi::Array pair = Napi::Array::New(env, 2);
      pair.Set(0u, item.name);
      pair.Set(1u, wrapTensor(env, item.value, TensorForm::Handle));
      a.Set(i++, pair);
    }
    return a;
  }
  Napi::Value NamedParameters(const Napi::CallbackInfo& info) {
    LL_TRY
    return pairs(info.Env(), module_->named_parameters(true));
    LL_CATCH(info.Env())
  }
  Napi::Value NamedBuffers(const Napi::CallbackInfo& info) {
    LL_TRY
    return pairs(info.Env(), module_->named_buffers(true));
    LL_CATCH(info.Env())
  }
  Napi::Value Train(const Napi::CallbackInfo& info) {
    LL_TRY
    module_->train(info.Length() == 0 || info[0].ToBoolean().Value());
    return info.This();
    LL_CATCH(info.Env())
  }
  Napi::Value IsTraining(const Napi::CallbackInfo& info) {
    LL_TRY
    return Napi::Boolean::New(info.Env(), module_->is_training());
    LL_CATCH(info.Env())
  }
  Napi::Value To(const Napi::CallbackInfo& info) {
    LL_TRY
    module_->to(parseDevice(info.Env(), info[0]));
    return info.This();
    LL_CATCH(info.Env())
  }

  c10::optional<torch::jit::Module> module_;
};

}  // namespace

Napi::Function initScript(Napi::Env env) { return ScriptWrap::Init(env); }

}  // namespace ll
