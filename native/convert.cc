// JS <-> libtorch values: dtypes, devices, and IValues built from an op schema's argument types.
#include <cmath>

#include "common.h"

namespace ll {

namespace {
struct DtypeName {
  const char* name;
  at::ScalarType type;
};
const DtypeName kDtypes[] = {
    {"float32", at::kFloat}, {"float64", at::kDouble}, {"float16", at::kHalf}, {"bfloat16", at::kBFloat16},
    {"int64", at::kLong},    {"int32", at::kInt},      {"int16", at::kShort},  {"int8", at::kChar},
    {"uint8", at::kByte},    {"bool", at::kBool},      {"float", at::kFloat},  {"double", at::kDouble},
    {"long", at::kLong},     {"int", at::kInt},        {"half", at::kHalf},
};

std::string describe(Napi::Value v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "the number " + v.ToString().Utf8Value();
    case napi_string: return "the string '" + v.As<Napi::String>().Utf8Value() + "'";
    case napi_object: return v.IsArray() ? "an array" : "an object";
    default: return "a value of another type";
  }
}

[[noreturn]] void badArg(Napi::Env env, const std::string& where, const char* expected, Napi::Value got) {
  throw Napi::TypeError::New(env, where + ": expected " + expected + ", got " + describe(got));
}

int64_t toInt(Napi::Env env, Napi::Value v, const std::string& where) {
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? 1 : 0;
  if (!v.IsNumber()) badArg(env, where, "an integer", v);
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d) badArg(env, where, "an integer", v);
  return int64_t(d);
}

double toDouble(Napi::Env env, Napi::Value v, const std::string& where) {
  if (!v.IsNumber()) badArg(env, where, "a number", v);
  return v.As<Napi::Number>().DoubleValue();
}

c10::Scalar toScalar(Napi::Env env, Napi::Value v, const std::string& where) {
  if (v.IsBoolean()) return c10::Scalar(v.As<Napi::Boolean>().Value());
  if (!v.IsNumber()) badArg(env, where, "a number", v);
  const double d = v.As<Napi::Number>().DoubleValue();
  // Whole numbers go as integers so that integer tensors keep their dtype (PyTorch's promotion rules).
  if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.007199254740992e15) return c10::Scalar(int64_t(d));
  return c10::Scalar(d);
}

int64_t toMemoryFormat(Napi::Env env, Napi::Value v, const std::string& where) {
  if (v.IsNumber()) return toInt(env, v, where);
  const std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (s == "contiguous") return int64_t(c10::MemoryFormat::Contiguous);
  if (s == "preserve") return int64_t(c10::MemoryFormat::Preserve);
  if (s == "channels_last") return int64_t(c10::MemoryFormat::ChannelsLast);
  badArg(env, where, "'contiguous', 'preserve' or 'channels_last'", v);
}

template <typename T, typename F>
std::vector<T> toVector(Napi::Env env, Napi::Value v, c10::optional<int32_t> n, const std::string& where,
                        const char* expected, F convert) {
  std::vector<T> out;
  if (v.IsArray()) {
    Napi::Array a = v.As<Napi::Array>();
    out.reserve(a.Length());
    for (uint32_t i = 0; i < a.Length(); i++) out.push_back(convert(a.Get(i), where + "[" + std::to_string(i) + "]"));
  } else if (n && !v.IsObject()) {
    // int[2] stride=1: one number stands for all N (as in PyTorch).
    out.assign(size_t(*n), convert(v, where));
  } else {
    badArg(env, where, expected, v);
  }
  return out;
}
}  // namespace

at::ScalarType parseDtype(Napi::Env env, Napi::Value v) {
  if (v.IsNumber()) return static_cast<at::ScalarType>(v.As<Napi::Number>().Int32Value());
  if (v.IsString()) {
    const std::string s = v.As<Napi::String>().Utf8Value();
    for (const auto& d : kDtypes)
      if (s == d.name) return d.type;
  }
  badArg(env, "dtype", "one of float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool", v);
}

std::string dtypeName(at::ScalarType t) {
  for (const auto& d : kDtypes)
    if (d.type == t) return d.name;
  return c10::toString(t);
}

c10::Device parseDevice(Napi::Env env, Napi::Value v) {
  if (!v.IsString()) badArg(env, "device", "a device string such as 'cpu' or 'cuda:0'", v);
  return c10::Device(v.As<Napi::String>().Utf8Value());
}

std::string deviceName(const c10::Device& d) { return d.str(); }

c10::IValue toIValue(Napi::Env env, Napi::Value v, const c10::TypePtr& type, c10::optional<int32_t> n,
                     const std::string& where) {
  using K = c10::TypeKind;
  switch (type->kind()) {
    case K::OptionalType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      return toIValue(env, v, type->castRaw<c10::OptionalType>()->getElementType(), n, where);
    case K::TensorType:
      return unwrapTensor(env, v, where);
    case K::IntType:
    case K::SymIntType:
      return toInt(env, v, where);
    case K::FloatType:
      return toDouble(env, v, where);
    case K::BoolType:
      if (!v.IsBoolean()) badArg(env, where, "a boolean", v);
      return v.As<Napi::Boolean>().Value();
    case K::NumberType:
      return toScalar(env, v, where);
    case K::StringType:
      if (!v.IsString()) badArg(env, where, "a string", v);
      return v.As<Napi::String>().Utf8Value();
    case K::ScalarTypeType:
      return int64_t(parseDtype(env, v));
    case K::LayoutType:
      return v.IsNumber() ? toInt(env, v, where) : int64_t(c10::kStrided);
    case K::MemoryFormatType:
      return toMemoryFormat(env, v, where);
    case K::DeviceObjType:
      return parseDevice(env, v);
    case K::GeneratorType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();  // libtorch's global generator
      return unwrapGenerator(env, v, where);
    case K::ListType: {
      const c10::TypePtr& elem = type->castRaw<c10::ListType>()->getElementType();
      switch (elem->kind()) {
        case K::IntType:
        case K::SymIntType:
          return c10::List<int64_t>(toVector<int64_t>(env, v, n, where, "an array of integers",
              [&](Napi::Value x, const std::string& w) { return toInt(env, x, w); }));
        case K::FloatType:
          return c10::List<double>(toVector<double>(env, v, n, where, "an array of numbers",
              [&](Napi::Value x, const std::string& w) { return toDouble(env, x, w); }));
        case K::BoolType: {
          auto b = toVector<int64_t>(env, v, n, where, "an array of booleans",
              [&](Napi::Value x, const std::string& w) { return toInt(env, x, w); });
          c10::List<bool> out;
          for (auto x : b) out.push_back(x != 0);
          return out;
        }
        case K::TensorType:
          return c10::List<at::Tensor>(toVector<at::Tensor>(env, v, c10::nullopt, where, "an array of tensors",
              [&](Napi::Value x, const std::string& w) { return unwrapTensor(env, x, w); }));
        case K::OptionalType: {
          c10::List<c10::optional<at::Tensor>> out;
          for (auto& t : toVector<c10::optional<at::Tensor>>(env, v, c10::nullopt, where,
                   "an array of tensors or nulls", [&](Napi::Value x, const std::string& w) {
                     return (x.IsNull() || x.IsUndefined()) ? c10::optional<at::Tensor>()
                                                            : c10::optional<at::Tensor>(unwrapTensor(env, x, w));
                   }))
            out.push_back(t);
          return out;
        }
        default:
          break;
      }
      break;
    }
    default:
      break;
  }
  throw Napi::TypeError::New(env, where + ": arguments of type " + type->str() + " cannot be passed from JS");
}

torch::jit::Stack buildStack(Napi::Env env, const c10::FunctionSchema& schema, Napi::Value positional,
                             Napi::Value named, size_t skip) {
  const auto& args = schema.arguments();
  Napi::Array pos = positional.IsArray() ? positional.As<Napi::Array>() : Napi::Array::New(env);
  const bool hasNamed = named.IsObject() && !named.IsArray();
  if (pos.Length() > args.size() - skip)
    throw Napi::TypeError::New(env, schema.name() + ": takes " + std::to_string(args.size() - skip) +
                                        " arguments, got " + std::to_string(pos.Length()) + " (schema: " +
                                        c10::toString(schema) + ")");
  torch::jit::Stack stack;
  stack.reserve(args.size());
  for (size_t i = skip; i < args.size(); i++) {
    const auto& arg = args[i];
    Napi::Value v = i - skip < pos.Length() ? pos.Get(uint32_t(i - skip)) : env.Undefined();
    if (v.IsUndefined() && hasNamed) v = named.As<Napi::Object>().Get(arg.name());
    if (v.IsUndefined()) {
      if (arg.default_value()) {
        stack.push_back(*arg.default_value());
        continue;
      }
      throw Napi::TypeError::New(env, schema.name() + ": missing argument '" + arg.name() + "' (schema: " +
                                          c10::toString(schema) + ")");
    }
    stack.push_back(toIValue(env, v, arg.real_type(), arg.N(), schema.name() + " argument '" + arg.name() + "'"));
  }
  return stack;
}

Napi::Value fromIValue(Napi::Env env, const c10::IValue& v, TensorForm form) {
  if (v.isNone()) return env.Null();
  if (v.isTensor()) return wrapTensor(env, v.toTensor(), form);
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isInt()) return Napi::Number::New(env, double(v.toInt()));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isDevice()) return Napi::String::New(env, deviceName(v.toDevice()));
  auto array = [&](const auto& items) {
    Napi::Array a = Napi::Array::New(env, items.size());
    uint32_t i = 0;
    for (const auto& x : items) a.Set(i++, fromIValue(env, c10::IValue(x), form));
    return a;
  };
  if (v.isTuple()) return array(v.toTupleRef().elements());
  if (v.isList()) return array(v.toListRef());
  if (v.isGenericDict()) {
    Napi::Object o = Napi::Object::New(env);
    for (const auto& kv : v.toGenericDict()) o.Set(kv.key().isString() ? kv.key().toStringRef() : kv.key().tagKind(), fromIValue(env, kv.value(), form));
    return o;
  }
  throw Napi::TypeError::New(env, "a value of type " + v.tagKind() + " cannot be returned to JS");
}

Napi::Value fromStack(Napi::Env env, torch::jit::Stack& stack, TensorForm form) {
  if (stack.empty()) return env.Undefined();
  if (stack.size() == 1) return fromIValue(env, stack[0], form);
  Napi::Array a = Napi::Array::New(env, stack.size());
  for (size_t i = 0; i < stack.size(); i++) a.Set(uint32_t(i), fromIValue(env, stack[i], form));
  return a;
}

}  // namespace ll
