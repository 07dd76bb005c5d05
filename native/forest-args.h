// The forest addon's entry points defined outside forest-tree.cc.
#pragma once
#include "typed-args.h"

namespace forest {

using typedargs::dataOf;
using typedargs::lengthOf;

Napi::Value ReplacedWalks(const Napi::CallbackInfo& info);

}  // namespace forest
