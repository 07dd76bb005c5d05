// Tensor handles: a per-environment slot table of at::Tensor addressed by integers from JS, typed-array
// transfer, metadata, autograd, and external-memory accounting per underlying buffer.
#include <cmath>
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

constexpr double kSlotSpan = 4294967296.0;  // handle = generation * 2^32 + slot
// Generations wrap below 2^20 so handles stay exact doubles (under 2^52); a stale handle would have to
// outlive a million reuses of its slot to be mistaken for a live one.
constexpr uint32_t kGenerations = 1u << 20;

struct HandleParts {
  uint32_t slot;
  uint32_t generation;
};

// A handle's slot and generation, or nothing when the value is not a handle at all.
c10::optional<HandleParts> splitHandle(Napi::Value v) {
  if (!v.IsNumber()) return c10::nullopt;
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d >= kSlotSpan * kGenerations || std::floor(d) != d) return c10::nullopt;
  const double gen = std::floor(d / kSlotSpan);
  return HandleParts{uint32_t(d - gen * kSlotSpan), uint32_t(gen)};
}

std::string handleName(Napi::Value v) {
  return v.IsNumber() ? c10::str(int64_t(v.As<Napi::Number>().DoubleValue())) : "?";
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

using Method = Napi::Value (*)(Napi::Env, const at::Tensor&, const Napi::CallbackInfo&);

// Exposes fn(handle, ...rest) with the handle resolved and libtorch errors converted.
template <Method fn>
Napi::Value onTensor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LL_TRY
  const at::Tensor t = unwrapTensor(env, info[0], "tensor");
  return fn(env, t, info);
  LL_CATCH(env)
}

Napi::Value shape(Napi::Env env, const at::Tensor& t, const Napi::CallbackInfo&) {
  const auto sizes = t.sizes();
  Napi::Array a = Napi::Array::New(env, sizes.size());
  for (size_t i = 0; i < sizes.size(); i++) a.Set(uint32_t(i), double(sizes[i]));
  return a;
}
Napi::Value dtype(Napi::Env env, const at::Tensor& t, const Napi::CallbackInfo&) { return Napi::String::New(env, dtypeName(t.scalar_type())); }
Napi::Value device(Napi::Env env, const at::Tensor& t, const Napi::CallbackInfo&) { return Napi::String::New(env, deviceName(t.device())); }
Napi::Value numel(Napi::Env env, const at::Tensor& t, const Napi::CallbackInfo&) { return Napi::Number::New(env, double(t.numel())); }
Napi::Value requiresGrad(Napi::Env env, const at::Tensor& t, const Napi::CallbackInfo&) { return Napi::Boolean::New(env, t.requires_grad()); }
Napi::Value isLeaf(Napi::Env env, const at::Tensor& t, const Napi::CallbackInfo&) { return Napi::Boolean::New(env, t.is_leaf()); }
Napi::Value setRequiresGrad(Napi::Env env, const at::Tensor& t, const Napi::CallbackInfo& info) {
  t.requires_grad_(info[1].ToBoolean().Value());
  return env.Undefined();
}
Napi::Value grad(Napi::Env env, const at::Tensor& t, const Napi::CallbackInfo&) { return wrapTensor(env, t.grad()); }
Napi::Value setGrad(Napi::Env env, const at::Tensor& t, const Napi::CallbackInfo& info) {
  if (info[1].IsNull() || info[1].IsUndefined()) t.mutable_grad().reset();
  else t.mutable_grad() = unwrapTensor(env, info[1], "setGrad");
  return env.Undefined();
}
// backward(handle, gradient?, retainGraph?)
Napi::Value backward(Napi::Env env, const at::Tensor& t, const Napi::CallbackInfo& info) {
  at::Tensor g;
  if (info[1].IsNumber()) g = unwrapTensor(env, info[1], "backward gradient");
  c10::optional<bool> retain;
  if (info[2].IsBoolean()) retain = info[2].As<Napi::Boolean>().Value();
  t.backward(g, retain);
  return env.Undefined();
}
Napi::Value detach(Napi::Env env, const at::Tensor& t, const Napi::CallbackInfo&) { return wrapTensor(env, t.detach()); }
Napi::Value toArrayOf(Napi::Env env, const at::Tensor& t, const Napi::CallbackInfo&) { return toArray(env, t); }
Napi::Value item(Napi::Env env, const at::Tensor& t, const Napi::CallbackInfo&) {
  if (t.numel() != 1) throw Napi::Error::New(env, "item(): tensor has " + std::to_string(t.numel()) + " elements, expected 1");
  if (t.scalar_type() == at::kBool) return Napi::Boolean::New(env, t.item<bool>());
  return Napi::Number::New(env, t.item<double>());
}
Napi::Value sameStorage(Napi::Env env, const at::Tensor& t, const Napi::CallbackInfo& info) {
  const void* other = storageKey(unwrapTensor(env, info[1], "sameStorage"));
  return Napi::Boolean::New(env, other != nullptr && other == storageKey(t));
}

}  // namespace

double newHandle(Napi::Env env, at::Tensor t) {
  InstanceData& d = instance(env);
  account(env, d, t, +1);
  uint32_t id;
  if (!d.freeSlots.empty()) {
    id = d.freeSlots.back();
    d.freeSlots.pop_back();
  } else {
    if (d.slots.size() >= size_t(kSlotSpan)) throw Napi::RangeError::New(env, "too many live tensors (2^32)");
    id = uint32_t(d.slots.size());
    d.slots.emplace_back();
  }
  TensorSlot& slot = d.slots[id];
  slot.tensor = std::move(t);
  return double(slot.generation) * kSlotSpan + double(id);
}

Napi::Value wrapTensor(Napi::Env env, at::Tensor t, TensorForm form) {
  if (!t.defined()) return env.Null();
  Napi::Number id = Napi::Number::New(env, newHandle(env, std::move(t)));
  if (form == TensorForm::Handle) return id;
  Napi::Object o = Napi::Object::New(env);
  o.Set("tensor", id);
  return o;
}

at::Tensor unwrapTensor(Napi::Env env, Napi::Value v, const std::string& what) {
  const auto h = splitHandle(v);
  if (!h) throw Napi::TypeError::New(env, what + ": expected a tensor");
  InstanceData& d = instance(env);
  if (h->slot >= d.slots.size())
    throw Napi::Error::New(env, what + ": handle " + handleName(v) + " names no tensor of this thread");
  const TensorSlot& slot = d.slots[h->slot];
  if (slot.generation != h->generation || !slot.tensor.defined())
    throw Napi::Error::New(env, what + ": tensor used after dispose() (stale handle " + handleName(v) + ")");
  return slot.tensor;
}

bool releaseHandle(Napi::Env env, Napi::Value v) {
  const auto h = splitHandle(v);
  InstanceData& d = instance(env);
  if (!h || h->slot >= d.slots.size()) return false;
  TensorSlot& slot = d.slots[h->slot];
  if (slot.generation != h->generation || !slot.tensor.defined()) return false;
  account(env, d, slot.tensor, -1);
  slot.tensor = at::Tensor();
  slot.generation = slot.generation + 1 < kGenerations ? slot.generation + 1 : 1;
  d.freeSlots.push_back(h->slot);
  return true;
}

void initTensor(Napi::Env env, Napi::Object exports) {
  Napi::Object t = Napi::Object::New(env);
  t.Set("fromArray", Napi::Function::New(env, fromArray));  // LL_TRY inside
  t.Set("autogradGrad", Napi::Function::New(env, autogradGrad));
  t.Set("release", guarded(env, [](const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), releaseHandle(info.Env(), info[0]));
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
