// Tensor handles: a per-environment slot table of at::Tensor addressed by integers from JS, typed-array
// transfer, metadata, autograd, and external-memory accounting per underlying buffer.
#include <cstring>

#include "common.h"

namespace ll {
namespace {

const void* storageKey(const at::Tensor& t) {
  if (!t.defined() || !t.has_storage()) return nullptr;
  return t.storage().unsafeGetStorageImpl();
}

void account(Napi::Env env, InstanceData& d, const at::Tensor& t, int sign) {
  const void* key = storageKey(t);
  if (key == nullptr) return;
  auto& entry = d.storages[key];
  if (sign > 0 && entry.first++ == 0) {
    entry.second = int64_t(t.storage().nbytes());
    d.reportedBytes += entry.second;
    Napi::MemoryManagement::AdjustExternalMemory(env, entry.second);
  } else if (sign < 0 && --entry.first == 0) {
    d.reportedBytes -= entry.second;
    Napi::MemoryManagement::AdjustExternalMemory(env, -entry.second);
    d.storages.erase(key);
  }
}

uint32_t handleOf(Napi::Env env, Napi::Value v, const std::string& what) {
  if (v.IsNumber()) return v.As<Napi::Number>().Uint32Value();
  throw Napi::TypeError::New(env, what + ": expected a tensor");
}

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

// Copies the data out into a new typed array of the matching kind.
Napi::Value toArray(Napi::Env env, const at::Tensor& src) {
  at::Tensor t = src.detach().to(at::kCPU).contiguous();
  if (t.scalar_type() == at::kHalf || t.scalar_type() == at::kBFloat16) t = t.to(at::kFloat);
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
    case at::kByte: case at::kBool: return copy(Napi::Uint8Array::New(env, n), 1);
    default: throw Napi::TypeError::New(env, "toArray: unsupported dtype " + dtypeName(t.scalar_type()));
  }
}

Napi::Value fromArray(const Napi::CallbackInfo& info) {
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
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(arrayDtype(env, arr.TypedArrayType())));
  if (numel > 0)
    std::memcpy(t.data_ptr(), static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset(),
                size_t(numel) * elementSize(arr.TypedArrayType()));
  if (info.Length() > 2 && !info[2].IsUndefined() && !info[2].IsNull()) t = t.to(parseDtype(env, info[2]));
  if (info.Length() > 3 && info[3].IsString()) t = t.to(parseDevice(env, info[3]));
  return wrapTensor(env, t);
  LL_CATCH(env)
}

// autogradGrad(outputs, inputs, gradOutputs?, retainGraph?, createGraph?, allowUnused?)
Napi::Value autogradGrad(const Napi::CallbackInfo& info) {
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
}

using Method = Napi::Value (*)(Napi::Env, at::Tensor&, const Napi::CallbackInfo&);

// Exposes fn(handle, ...rest) with the handle resolved and libtorch errors converted.
template <Method fn>
Napi::Value onTensor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LL_TRY
  return fn(env, unwrapTensor(env, info[0], "tensor"), info);
  LL_CATCH(env)
}

Napi::Value shape(Napi::Env env, at::Tensor& t, const Napi::CallbackInfo&) {
  const auto sizes = t.sizes();
  Napi::Array a = Napi::Array::New(env, sizes.size());
  for (size_t i = 0; i < sizes.size(); i++) a.Set(uint32_t(i), double(sizes[i]));
  return a;
}
Napi::Value dtype(Napi::Env env, at::Tensor& t, const Napi::CallbackInfo&) { return Napi::String::New(env, dtypeName(t.scalar_type())); }
Napi::Value device(Napi::Env env, at::Tensor& t, const Napi::CallbackInfo&) { return Napi::String::New(env, deviceName(t.device())); }
Napi::Value numel(Napi::Env env, at::Tensor& t, const Napi::CallbackInfo&) { return Napi::Number::New(env, double(t.numel())); }
Napi::Value requiresGrad(Napi::Env env, at::Tensor& t, const Napi::CallbackInfo&) { return Napi::Boolean::New(env, t.requires_grad()); }
Napi::Value isLeaf(Napi::Env env, at::Tensor& t, const Napi::CallbackInfo&) { return Napi::Boolean::New(env, t.is_leaf()); }
Napi::Value setRequiresGrad(Napi::Env env, at::Tensor& t, const Napi::CallbackInfo& info) {
  t.requires_grad_(info[1].ToBoolean().Value());
  return env.Undefined();
}
Napi::Value grad(Napi::Env env, at::Tensor& t, const Napi::CallbackInfo&) { return wrapTensor(env, t.grad()); }
Napi::Value setGrad(Napi::Env env, at::Tensor& t, const Napi::CallbackInfo& info) {
  if (info[1].IsNull() || info[1].IsUndefined()) t.mutable_grad().reset();
  else t.mutable_grad() = unwrapTensor(env, info[1], "setGrad");
  return env.Undefined();
}
// backward(handle, gradient?, retainGraph?)
Napi::Value backward(Napi::Env env, at::Tensor& t, const Napi::CallbackInfo& info) {
  at::Tensor g;
  if (info[1].IsNumber()) g = unwrapTensor(env, info[1], "backward gradient");
  c10::optional<bool> retain;
  if (info[2].IsBoolean()) retain = info[2].As<Napi::Boolean>().Value();
  t.backward(g, retain);
  return env.Undefined();
}
Napi::Value detach(Napi::Env env, at::Tensor& t, const Napi::CallbackInfo&) { return wrapTensor(env, t.detach()); }
Napi::Value toArrayOf(Napi::Env env, at::Tensor& t, const Napi::CallbackInfo&) { return toArray(env, t); }
Napi::Value item(Napi::Env env, at::Tensor& t, const Napi::CallbackInfo&) {
  if (t.numel() != 1) throw Napi::Error::New(env, "item(): tensor has " + std::to_string(t.numel()) + " elements, expected 1");
  if (t.scalar_type() == at::kBool) return Napi::Boolean::New(env, t.item<bool>());
  return Napi::Number::New(env, t.item<double>());
}
Napi::Value sameStorage(Napi::Env env, at::Tensor& t, const Napi::CallbackInfo& info) {
  const void* other = storageKey(unwrapTensor(env, info[1], "sameStorage"));
  return Napi::Boolean::New(env, other != nullptr && other == storageKey(t));
}

}  // namespace

uint32_t newHandle(Napi::Env env, at::Tensor t) {
  InstanceData& d = instance(env);
  account(env, d, t, +1);
  if (!d.freeSlots.empty()) {
    const uint32_t id = d.freeSlots.back();
    d.freeSlots.pop_back();
    d.slots[id] = std::move(t);
    return id;
  }
  d.slots.push_back(std::move(t));
  return uint32_t(d.slots.size() - 1);
}

Napi::Value wrapTensor(Napi::Env env, at::Tensor t, TensorForm form) {
  if (!t.defined()) return env.Null();
  Napi::Number id = Napi::Number::New(env, newHandle(env, std::move(t)));
  if (form == TensorForm::Handle) return id;
  Napi::Object o = Napi::Object::New(env);
  o.Set("tensor", id);
  return o;
}

at::Tensor& unwrapTensor(Napi::Env env, Napi::Value v, const std::string& what) {
  const uint32_t id = handleOf(env, v, what);
  InstanceData& d = instance(env);
  if (id >= d.slots.size() || !d.slots[id].defined())
    throw Napi::Error::New(env, what + ": tensor used after dispose() (handle " + std::to_string(id) + ")");
  return d.slots[id];
}

void releaseHandle(Napi::Env env, uint32_t id) {
  InstanceData& d = instance(env);
  if (id >= d.slots.size() || !d.slots[id].defined()) return;
  account(env, d, d.slots[id], -1);
  d.slots[id] = at::Tensor();
  d.freeSlots.push_back(id);
}

void initTensor(Napi::Env env, Napi::Object exports) {
  Napi::Object t = Napi::Object::New(env);
  t.Set("fromArray", Napi::Function::New(env, fromArray));
  t.Set("autogradGrad", Napi::Function::New(env, autogradGrad));
  t.Set("release", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    releaseHandle(info.Env(), info[0].As<Napi::Number>().Uint32Value());
  }));
  t.Set("shape", Napi::Function::New(env, onTensor<shape>));
  t.Set("dtype", Napi::Function::New(env, onTensor<dtype>));
  t.Set("device", Napi::Function::New(env, onTensor<device>));
  t.Set("numel", Napi::Function::New(env, onTensor<numel>));
  t.Set("requiresGrad", Napi::Function::New(env, onTensor<requiresGrad>));
  t.Set("isLeaf", Napi::Function::New(env, onTensor<isLeaf>));
  t.Set("setRequiresGrad", Napi::Function::New(env, onTensor<setRequiresGrad>));
  t.Set("grad", Napi::Function::New(env, onTensor<grad>));
  t.Set("setGrad", Napi::Function::New(env, onTensor<setGrad>));
  t.Set("backward", Napi::Function::New(env, onTensor<backward>));
  t.Set("detach", Napi::Function::New(env, onTensor<detach>));
  t.Set("toArray", Napi::Function::New(env, onTensor<toArrayOf>));
  t.Set("item", Napi::Function::New(env, onTensor<item>));
  t.Set("sameStorage", Napi::Function::New(env, onTensor<sameStorage>));
  exports.Set("tensor", t);
}

}  // namespace ll
