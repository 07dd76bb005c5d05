// Typed-array arguments of the small addons (forest, embed), checked for type and length.
#pragma once
#include <napi.h>

#include <string>

namespace typedargs {

template <typename T>
T* dataOf(const Napi::Value& v, const char* what, size_t atLeast) {
  if (!v.IsTypedArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a typed array");
  auto a = v.As<Napi::TypedArrayOf<T>>();
  if (a.ElementLength() < atLeast)
    throw Napi::RangeError::New(v.Env(), std::string(what) + " has " + std::to_string(a.ElementLength()) +
                                             " elements, expected at least " + std::to_string(atLeast));
  return a.Data();
}

template <typename T>
size_t lengthOf(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a typed array");
  return v.As<Napi::TypedArrayOf<T>>().ElementLength();
}

}  // namespace typedargs
