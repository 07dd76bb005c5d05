// A caching CPU allocator for libtorch. glibc returns large blocks to the system with munmap and did not
// reuse freed blocks here (DESIGN.md), so training paid page faults every step and RSS crept up. Blocks of
// 4 KiB and more are rounded to one of eight sizes per power of two and kept on free lists for reuse.
#include <c10/core/CPUAllocator.h>
#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common.h"

namespace ll {
namespace {

constexpr size_t kAlign = 64;       // header size too, so data stays 64-byte aligned
constexpr size_t kMinCached = 4096;

size_t roundSize(size_t n) {
  if (n < kMinCached) return n;
  const size_t log2 = 63 - __builtin_clzll(n);
  const size_t step = size_t(1) << (log2 - 3);
  return (n + step - 1) & ~(step - 1);
}

struct Cache {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free;
  size_t cachedBytes = 0;
  size_t limitBytes = size_t(2) << 30;
  size_t inUseBytes = 0;
  size_t peakInUseBytes = 0;
  uint64_t hits = 0, misses = 0;
};
// Never destroyed: tensors may still be freed while static objects are being torn down at exit.
Cache& cache() {
  static Cache* c = new Cache();
  return *c;
}

void releaseBlock(void* data) {
  if (data == nullptr) return;
  char* base = static_cast<char*>(data) - kAlign;
  const size_t size = *reinterpret_cast<size_t*>(base);
  if (size >= kMinCached) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    c.inUseBytes -= size;
    if (c.cachedBytes + size <= c.limitBytes) {
      c.free[size].push_back(base);
      c.cachedBytes += size;
      return;
    }
  }
  std::free(base);
}

class CachingCPUAllocator final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t n) const override {
    if (n == 0) return {nullptr, nullptr, &releaseBlock, c10::Device(c10::DeviceType::CPU)};
    const size_t size = roundSize(n);
    void* base = nullptr;
    if (size >= kMinCached) {
      Cache& c = cache();
      std::lock_guard<std::mutex> lock(c.mu);
      auto it = c.free.find(size);
      if (it != c.free.end() && !it->second.empty()) {
        base = it->second.back();
        it->second.pop_back();
        c.cachedBytes -= size;
        c.hits++;
      } else {
        c.misses++;
      }
      c.inUseBytes += size;
      if (c.inUseBytes > c.peakInUseBytes) c.peakInUseBytes = c.inUseBytes;
    }
    if (base == nullptr && posix_memalign(&base, kAlign, size + kAlign) != 0) {
      if (size >= kMinCached) {
        std::lock_guard<std::mutex> lock(cache().mu);
        cache().inUseBytes -= size;
      }
      TORCH_CHECK(false, "latentlens: out of memory allocating ", n, " bytes");
    }
    *static_cast<size_t*>(base) = size;
    void* data = static_cast<char*>(base) + kAlign;
    return {data, data, &releaseBlock, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &releaseBlock; }
};

void emptyCache() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  for (auto& [size, blocks] : c.free)
    for (void* b : blocks) std::free(b);
  c.free.clear();
  c.cachedBytes = 0;
}

}  // namespace

void installCachingAllocator() {
  static CachingCPUAllocator allocator;
  static bool installed = false;
  if (installed) return;
  installed = true;
  if (std::getenv("LATENTLENS_NO_CACHING_ALLOCATOR") == nullptr) c10::SetCPUAllocator(&allocator, 1);
}

Napi::Object allocatorExports(Napi::Env env, Napi::Object exports) {
  exports.Set("allocatorStats", guarded(env, [](const Napi::CallbackInfo& info) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("cachedBytes", double(c.cachedBytes));
    o.Set("inUseBytes", double(c.inUseBytes));
    o.Set("peakInUseBytes", double(c.peakInUseBytes));
    o.Set("limitBytes", double(c.limitBytes));
    o.Set("hits", double(c.hits));
    o.Set("misses", double(c.misses));
    return o;
  }));
  exports.Set("emptyCache", guarded(env, [](const Napi::CallbackInfo&) { emptyCache(); }));
  exports.Set("setCacheLimit", guarded(env, [](const Napi::CallbackInfo& info) {
    Cache& c = cache();
    {
      std::lock_guard<std::mutex> lock(c.mu);
      c.limitBytes = size_t(info[0].As<Napi::Number>().DoubleValue());
    }
    emptyCache();
  }));
  return exports;
}

}  // namespace ll
