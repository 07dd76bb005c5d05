// The JS handle over at::Tensor: typed-array transfer, metadata, autograd, explicit disposal, and
// external-memory accounting per underlying buffer.
#include <cstring>

#include "common.h"

namespace ll {
namespace {

const void* storageKey(const at::Tensor& t) {
  if (!t.defined() || !t.has_storage()) return nullptr;
  return t.storage().unsafeGetStorageImpl();
}

class TensorWrap : public Napi::ObjectWrap<TensorWrap> {
 public:
  explicit TensorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorWrap>(info), env_(info.Env()) {}
  ~TensorWrap() override { release(); }

  void set(at::Tensor t) {
    release();
    tensor_ = std::move(t);
    key_ = storageKey(tensor_);
    if (key_ == nullptr) return;
    InstanceData& d = instance(env_);
    auto& entry = d.storages[key_];
    if (entry.first++ == 0) {
      entry.second = int64_t(tensor_.storage().nbytes());
      adjust(d, entry.second);
    }
  }

  const at::Tensor& tensor(Napi::Env env) {
    if (!tensor_.defined()) throw Napi::Error::New(env, "tensor used after dispose()");
    return tensor_;
  }
  at::Tensor& mutableTensor(Napi::Env env) {
    tensor(env);
    return tensor_;
  }

  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeTensor", {
        InstanceAccessor<&TensorWrap::Shape>("shape"),
        InstanceAccessor<&TensorWrap::Dtype>("dtype"),
        InstanceAccessor<&TensorWrap::Device>("device"),
        InstanceAccessor<&TensorWrap::Disposed>("disposed"),
        InstanceAccessor<&TensorWrap::RequiresGrad>("requiresGrad"),
        InstanceAccessor<&TensorWrap::IsLeaf>("isLeaf"),
        InstanceMethod<&TensorWrap::SetRequiresGrad>("setRequiresGrad"),
        InstanceMethod<&TensorWrap::Grad>("grad"),
        InstanceMethod<&TensorWrap::SetGrad>("setGrad"),
        InstanceMethod<&TensorWrap::Backward>("backward"),
        InstanceMethod<&TensorWrap::Detach>("detach"),
        InstanceMethod<&TensorWrap::ToArray>("toArray"),
        InstanceMethod<&TensorWrap::Item>("item"),
        InstanceMethod<&TensorWrap::Numel>("numel"),
        InstanceMethod<&TensorWrap::Dispose>("dispose"),
        InstanceMethod<&TensorWrap::SameStorage>("sameStorage"),
    });
  }

 private:
  void adjust(InstanceData& d, int64_t delta) {
    d.reportedBytes += delta;
    Napi::MemoryManagement::AdjustExternalMemory(env_, delta);
  }

  void release() {
    if (key_ != nullptr) {
      InstanceData& d = instance(env_);
      auto it = d.storages.find(key_);
      if (it != d.storages.end() && --it->second.first == 0) {
        adjust(d, -it->second.second);
        d.storages.erase(it);
      }
      key_ = nullptr;
    }
    tensor_ = at::Tensor();
  }

  Napi::Value Shape(const Napi::CallbackInfo& info) {
    const auto sizes = tensor(info.Env()).sizes();
    Napi::Array a = Napi::Array::New(info.Env(), sizes.size());
    for (size_t i = 0; i < sizes.size(); i++) a.Set(uint32_t(i), double(sizes[i]));
    return a;
  }
  Napi::Value Dtype(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), dtypeName(tensor(info.Env()).scalar_type()));
  }
  Napi::Value Device(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), deviceName(tensor(info.Env()).device()));
  }
  Napi::Value Disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !tensor_.defined()); }
  Napi::Value RequiresGrad(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), tensor(info.Env()).requires_grad());
  }
  Napi::Value IsLeaf(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), tensor(info.Env()).is_leaf());
  }
  Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
    LL_TRY
    mutableTensor(info.Env()).requires_grad_(info[0].ToBoolean().Value());
    return info.This();
    LL_CATCH(info.Env())
  }
  Napi::Value Grad(const Napi::CallbackInfo& info) {
    return wrapTensor(info.Env(), tensor(info.Env()).grad());
  }
  Napi::Value SetGrad(const Napi::CallbackInfo& info) {
    LL_TRY
    at::Tensor& t = mutableTensor(info.Env());
    if (info[0].IsNull() || info[0].IsUndefined())
      t.mutable_grad().reset();
    else
      t.mutable_grad() = unwrapTensor(info.Env(), info[0], "setGrad");
    return info.Env().Undefined();
    LL_CATCH(info.Env())
  }
  // backward(gradient?, retainGraph?)
  Napi::Value Backward(const Napi::CallbackInfo& info) {
    LL_TRY
    const at::Tensor& t = tensor(info.Env());
    at::Tensor grad;
    if (info.Length() > 0 && !info[0].IsNull() && !info[0].IsUndefined()) grad = unwrapTensor(info.Env(), info[0], "backward gradient");
    c10::optional<bool> retain;
    if (info.Length() > 1 && info[1].IsBoolean()) retain = info[1].As<Napi::Boolean>().Value();
    t.backward(grad, retain);
    return info.Env().Undefined();
    LL_CATCH(info.Env())
  }
  Napi::Value Detach(const Napi::CallbackInfo& info) {
    LL_TRY
    return wrapTensor(info.Env(), tensor(info.Env()).detach());
    LL_CATCH(info.Env())
  }
  // Copies the data out into a new typed array of the matching kind.
  Napi::Value ToArray(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    LL_TRY
    at::Tensor t = tensor(env).detach().to(at::kCPU).contiguous();
    const size_t n = size_t(t.numel());
    auto copy = [&](auto typed, size_t elemSize) {
      if (n > 0) std::memcpy(typed.Data(), t.data_ptr(), n * elemSize);
      return typed;
    };
    switch (t.scalar_type()) {
      case at::kFloat: return copy(Napi::Float32Array::New(env, n), 4);
      case at::kDouble: return copy(Napi::Float64Array::New(env, n), 8);
      case at::kInt: return copy(Napi::Int32Array::New(env, n), 4);
      case at::kLong: return copy(Napi::BigInt64Array::New(env, n), 8);
      case at::kShort: return copy(Napi::Int16Array::New(env, n), 2);
      case at::kChar: return copy(Napi::Int8Array::New(env, n), 1);
      case at::kByte:
      case at::kBool: return copy(Napi::Uint8Array::New(env, n), 1);
      default: {
        t = t.to(at::kFloat);
        return copy(Napi::Float32Array::New(env, n), 4);
      }
    }
    LL_CATCH(env)
  }
  Napi::Value Item(const Napi::CallbackInfo& info) {
    LL_TRY
    const at::Tensor& t = tensor(info.Env());
    if (t.numel() != 1)
      throw Napi::Error::New(info.Env(), "item(): tensor has " + std::to_string(t.numel()) + " elements, expected 1");
    if (t.scalar_type() == at::kBool) return Napi::Boolean::New(info.Env(), t.item<bool>());
    return Napi::Number::New(info.Env(), t.item<double>());
    LL_CATCH(info.Env())
  }
  Napi::Value Numel(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(tensor(info.Env()).numel())); }
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    release();
    return info.Env().Undefined();
  }
  Napi::Value SameStorage(const Napi::CallbackInfo& info) {
    const void* other = storageKey(unwrapTensor(info.Env(), info[0], "sameStorage"));
    return Napi::Boolean::New(info.Env(), other != nullptr && other == storageKey(tensor(info.Env())));
  }

  Napi::Env env_;
  at::Tensor tensor_;
  const void* key_ = nullptr;
};

size_t elementSize(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array: return 1;
    case napi_int16_array: case napi_uint16_array: return 2;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: return 4;
    default: return 8;
  }
}

at::ScalarType arrayDtype(Napi::Env env, napi_typedarray_type t) {
  switch (t) {
    case napi_float32_array: return at::kFloat;
    case napi_float64_array: return at::kDouble;
    case napi_int32_array: return at::kInt;
    case napi_bigint64_array: return at::kLong;
    case napi_int16_array: return at::kShort;
    case napi_int8_array: return at::kChar;
    case napi_uint8_array: case napi_uint8_clamped_array: return at::kByte;
    default: throw Napi::TypeError::New(env, "fromArray: unsupported typed array (use Float32Array, Float64Array, Int32Array, BigInt64Array, Int16Array, Int8Array or Uint8Array)");
  }
}

}  // namespace

Napi::Value wrapTensor(Napi::Env env, at::Tensor t) {
  if (!t.defined()) return env.Null();
  Napi::Object o = instance(env).tensorCtor.New({});
  TensorWrap::Unwrap(o)->set(std::move(t));
  return o;
}

bool isTensor(Napi::Env env, Napi::Value v) {
  return v.IsObject() && v.As<Napi::Object>().InstanceOf(instance(env).tensorCtor.Value());
}

at::Tensor& unwrapTensor(Napi::Env env, Napi::Value v, const std::string& what) {
  if (!isTensor(env, v)) {
    // Accept the TypeScript Tensor too, which keeps its native handle in `native`.
    if (v.IsObject()) {
      Napi::Value inner = v.As<Napi::Object>().Get("native");
      if (isTensor(env, inner)) return TensorWrap::Unwrap(inner.As<Napi::Object>())->mutableTensor(env);
    }
    throw Napi::TypeError::New(env, what + ": expected a tensor");
  }
  return TensorWrap::Unwrap(v.As<Napi::Object>())->mutableTensor(env);
}

Napi::Function initTensor(Napi::Env env) {
  Napi::Function ctor = TensorWrap::Init(env);
  // fromArray(typedArray, shape, dtype?, device?): copies, so the JS buffer may be reused at once.
  ctor.Set("fromArray", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    LL_TRY
    if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "fromArray: expected a typed array");
    Napi::TypedArray arr = info[0].As<Napi::TypedArray>();
    std::vector<int64_t> shape;
    Napi::Array s = info[1].As<Napi::Array>();
    int64_t numel = 1;
    for (uint32_t i = 0; i < s.Length(); i++) {
      shape.push_back(s.Get(i).As<Napi::Number>().Int64Value());
      numel *= shape.back();
    }
    if (numel != int64_t(arr.ElementLength()))
      throw Napi::RangeError::New(env, "fromArray: shape " + c10::str(c10::IntArrayRef(shape)) + " needs " +
                                           std::to_string(numel) + " elements, the array has " +
                                           std::to_string(arr.ElementLength()));
    const at::ScalarType src = arrayDtype(env, arr.TypedArrayType());
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(src));
    if (numel > 0)
      std::memcpy(t.data_ptr(), static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset(),
                  size_t(numel) * elementSize(arr.TypedArrayType()));
    if (info.Length() > 2 && !info[2].IsUndefined() && !info[2].IsNull()) t = t.to(parseDtype(env, info[2]));
    if (info.Length() > 3 && info[3].IsString()) t = t.to(parseDevice(env, info[3]));
    return wrapTensor(env, t);
    LL_CATCH(env)
  }));
  // grad(outputs, inputs, gradOutputs?, retainGraph?, createGraph?): gradients without accumulating into .grad
  ctor.Set("autogradGrad", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    LL_TRY
    auto list = [&](Napi::Value v, const char* what) {
      std::vector<at::Tensor> out;
      if (v.IsNull() || v.IsUndefined()) return out;
      Napi::Array a = v.As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); i++) out.push_back(unwrapTensor(env, a.Get(i), what));
      return out;
    };
    auto outputs = list(info[0], "grad outputs");
    auto inputs = list(info[1], "grad inputs");
    auto gradOutputs = list(info[2], "grad gradOutputs");
    c10::optional<bool> retain;
    if (info[3].IsBoolean()) retain = info[3].As<Napi::Boolean>().Value();
    const bool create = info[4].IsBoolean() && info[4].As<Napi::Boolean>().Value();
    const bool allowUnused = info[5].IsBoolean() && info[5].As<Napi::Boolean>().Value();
    auto grads = torch::autograd::grad(outputs, inputs, gradOutputs, retain, create, allowUnused);
    Napi::Array a = Napi::Array::New(env, grads.size());
    for (size_t i = 0; i < grads.size(); i++) a.Set(uint32_t(i), wrapTensor(env, grads[i]));
    return a;
    LL_CATCH(env)
  }));
  return ctor;
}

}  // namespace ll
