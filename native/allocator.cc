// A caching CPU allocator for libtorch. glibc returns large blocks to the system with munmap and did not
// reuse freed blocks here (DESIGN.md), so training paid page faults every step and RSS crept up. Blocks of
// 4 KiB and more are rounded to one of eight sizes per power of two and kept on free lists for reuse.
// Unless a fixed limit was set, the cache keeps up to max(its floor, the high-water set: for each size,
// the most blocks of it ever in use at once), capped at twice the peak bytes in use and at a quarter of
// the machine's memory. With a fixed 2 GiB, a ConvAE step on 64 images of 256 x 256 (3.6 GB in use at
// its peak, 4.5 GB of high-water set) could not keep its own blocks and faulted 2.4 GB of fresh pages
// per step, at two thirds of the speed.
#include <c10/core/CPUAllocator.h>
#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common.h"

namespace ll {
namespace {

constexpr size_t kAlign = 64;       // header size too, so data stays 64-byte aligned
constexpr size_t kMinCached = 4096;
constexpr size_t kLargerSizes = 2;

size_t roundSize(size_t n) {
  if (n < kMinCached) return n;
  const size_t log2 = 63 - __builtin_clzll(n);
  const size_t step = size_t(1) << (log2 - 3);
  return (n + step - 1) & ~(step - 1);
}

// One size's free blocks, and how many of that size are in use now and were at most.
struct SizeClass {
  std::vector<void*> free;
  size_t inUse = 0, highWater = 0;
};

struct Cache {
  std::mutex mu;
  std::unordered_map<size_t, SizeClass> sizes;
  size_t cachedBytes = 0;
  size_t highWaterBytes = 0;  // sum over sizes of size x highWater
  // What the adaptive limit never passes: a quarter of the machine's memory.
  size_t capBytes = size_t(sysconf(_SC_PHYS_PAGES)) * size_t(sysconf(_SC_PAGESIZE)) / 4;
  size_t limitBytes = size_t(2) << 30;  // the floor, or the fixed limit
  bool adaptive = true;
  size_t inUseBytes = 0;
  size_t peakInUseBytes = 0;
  uint64_t hits = 0, misses = 0;
};
// Never destroyed: tensors may still be freed while static objects are being torn down at exit.
Cache& cache() {
  static Cache* c = new Cache();
  return *c;
}

size_t limitOf(const Cache& c) {
  return c.adaptive ? std::max(c.limitBytes, std::min({c.highWaterBytes, 2 * c.peakInUseBytes, c.capBytes})) : c.limitBytes;
}

void releaseBlock(void* data) {
  if (data == nullptr) return;
  char* base = static_cast<char*>(data) - kAlign;
  const size_t size = *reinterpret_cast<size_t*>(base);
  if (size >= kMinCached) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    c.inUseBytes -= size;
    SizeClass& k = c.sizes[size];
    k.inUse--;
    if (c.cachedBytes + size <= limitOf(c)) {
      k.free.push_back(base);
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
    size_t size = roundSize(n);
    void* base = nullptr;
    if (size >= kMinCached) {
      Cache& c = cache();
      std::lock_guard<std::mutex> lock(c.mu);
      SizeClass* k = &c.sizes[size];
      // None of this size free: a block of one of the next two sizes (at most 25% larger) will do, so a
      // smaller last batch reuses the full batches' blocks instead of caching a second set.
      for (size_t larger = size, j = 0; k->free.empty() && j < kLargerSizes; j++) {
        larger = roundSize(larger + 1);
        auto it = c.sizes.find(larger);
        if (it != c.sizes.end() && !it->second.free.empty()) {
          size = larger;
          k = &it->second;
        }
      }
      if (!k->free.empty()) {
        base = k->free.back();
        k->free.pop_back();
        c.cachedBytes -= size;
        c.hits++;
      } else {
        c.misses++;
      }
      if (++k->inUse > k->highWater) {
        k->highWater = k->inUse;
        c.highWaterBytes += size;
      }
      c.inUseBytes += size;
      if (c.inUseBytes > c.peakInUseBytes) c.peakInUseBytes = c.inUseBytes;
    }
    if (base == nullptr && posix_memalign(&base, kAlign, size + kAlign) != 0) {
      if (size >= kMinCached) {
        std::lock_guard<std::mutex> lock(cache().mu);
        cache().inUseBytes -= size;
        cache().sizes[size].inUse--;
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
  for (auto& [size, k] : c.sizes) {
    for (void* b : k.free) std::free(b);
    k.free.clear();
  }
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
    o.Set("limitBytes", double(limitOf(c)));
    o.Set("adaptiveLimit", Napi::Boolean::New(info.Env(), c.adaptive));
    o.Set("highWaterBytes", double(c.highWaterBytes));
    o.Set("hits", double(c.hits));
    o.Set("misses", double(c.misses));
    return o;
  }));
  exports.Set("emptyCache", guarded(env, [](const Napi::CallbackInfo&) { emptyCache(); }));
  // setCacheLimit(bytes, adaptive): a fixed limit, or with adaptive the floor under the high-water set.
  exports.Set("setCacheLimit", guarded(env, [](const Napi::CallbackInfo& info) {
    Cache& c = cache();
    {
      std::lock_guard<std::mutex> lock(c.mu);
      c.limitBytes = size_t(info[0].As<Napi::Number>().DoubleValue());
      c.adaptive = info.Length() > 1 && info[1].ToBoolean().Value();
    }
    emptyCache();
  }));
  return exports;
}

}  // namespace ll
