// A handle on one ATen operator, found by name and overload; call() builds the argument stack from the
// operator's schema, so any aten op is reachable from JS without new C++.
#include "common.h"

namespace ll {
namespace {

class OpWrap : public Napi::ObjectWrap<OpWrap> {
 public:
  explicit OpWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OpWrap>(info) {
    Napi::Env env = info.Env();
    LL_TRY
    if (!info[0].IsString()) throw Napi::TypeError::New(env, "op(name, overload): name must be a string such as 'aten::add'");
    std::string name = info[0].As<Napi::String>().Utf8Value();
    if (name.find("::") == std::string::npos) name = "aten::" + name;
    const std::string overload = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    auto found = c10::Dispatcher::singleton().findSchema({name, overload});
    if (!found) {
      throw Napi::Error::New(env, "unknown operator " + name + (overload.empty() ? "" : "." + overload) +
                                      " (name and overload as in native_functions.yaml, e.g. op('aten::add', 'Tensor'))");
    }
    handle_ = *found;
    LL_CATCH(env)
  }

  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeOp", {
        InstanceMethod<&OpWrap::Call>("call"),
        InstanceAccessor<&OpWrap::Schema>("schema"),
    });
  }

 private:
  // call(positionalArgs, namedArgs?, tensorsAsObjects?)
  Napi::Value Call(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    LL_TRY
    torch::jit::Stack stack = buildStack(env, handle_->schema(), info[0], info[1], 0);
    handle_->callBoxed(&stack);
    return fromStack(env, stack, info[2].ToBoolean().Value() ? TensorForm::Object : TensorForm::Handle);
    LL_CATCH(env)
  }
  Napi::Value Schema(const Napi::CallbackInfo& info) {
    LL_TRY
    return Napi::String::New(info.Env(), c10::toString(handle_->schema()));
    LL_CATCH(info.Env())
  }

  c10::optional<c10::OperatorHandle> handle_;
};

}  // namespace

Napi::Function initOp(Napi::Env env) { return OpWrap::Init(env); }

}  // namespace ll
