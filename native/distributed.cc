// A c10d process group for data-parallel training: rendezvous through torch.distributed's TCPStore (the
// store torchrun and init_process_group("env://") use) and collectives through ProcessGroupGloo on CPU
// tensors. Collectives block the calling thread until every rank took part, or until the timeout.
//
// Errors say which rank failed, in which collective (with its sequence number) and which peer ranks did
// not take part: Gloo's own message names only a socket address, so the ranks that saw the failure say so
// through the store, and the ones that stay silent are named (silentRanks).
#include "common.h"

#ifdef LL_WITH_GLOO
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <thread>
#endif

namespace ll {
namespace {

#ifdef LL_WITH_GLOO

std::string seconds(std::chrono::milliseconds ms) {
  std::ostringstream s;
  s << double(ms.count()) / 1000.0 << " s";
  return s.str();
}

bool isLoopback(const std::string& host) { return host == "127.0.0.1" || host == "localhost" || host == "::1"; }

class ProcessGroupWrap : public Napi::ObjectWrap<ProcessGroupWrap> {
 public:
  // new NativeProcessGroup({host, port, rank, worldSize, isServer, timeoutMs, prefix, iface})
  explicit ProcessGroupWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProcessGroupWrap>(info) {
    Napi::Env env = info.Env();
    LL_TRY
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "processGroup(options): options must be an object");
    Napi::Object o = info[0].As<Napi::Object>();
    auto num = [&](const char* k) -> int64_t {
      if (!o.Get(k).IsNumber()) throw Napi::TypeError::New(env, std::string("processGroup: ") + k + " must be a number");
      return o.Get(k).As<Napi::Number>().Int64Value();
    };
    auto str = [&](const char* k, const std::string& dflt) {
      return o.Get(k).IsString() ? o.Get(k).As<Napi::String>().Utf8Value() : dflt;
    };
    host_ = str("host", "127.0.0.1");
    port_ = int(num("port"));
    rank_ = int(num("rank"));
    world_ = int(num("worldSize"));
    timeout_ = std::chrono::milliseconds(num("timeoutMs"));
    const bool isServer = o.Get("isServer").ToBoolean().Value();
    const std::string prefix = str("prefix", "latentlens");
    const std::string iface = str("iface", "");
    if (world_ < 1 || rank_ < 0 || rank_ >= world_)
      throw Napi::RangeError::New(env, "processGroup: rank " + std::to_string(rank_) + " is outside world size " + std::to_string(world_));
    if (port_ < 1 || port_ > 65535) throw Napi::RangeError::New(env, "processGroup: port must be in 1..65535");

    c10d::TCPStoreOptions so;
    so.port = uint16_t(port_);
    so.isServer = isServer;
    so.numWorkers = world_;
    // Every rank waits for the others in the Gloo rendezvous below (with the timeout), where a missing
    // rank can be named; the server does not wait for its clients here.
    so.waitWorkers = false;
    so.timeout = timeout_;
    c10::intrusive_ptr<c10d::Store> tcp;
    try {
      tcp = c10::make_intrusive<c10d::TCPStore>(host_, so);
    } catch (const std::exception& e) {
      throw std::runtime_error(who() + (isServer ? "could not start the rendezvous store on " : "could not reach the rendezvous store at ") +
                               host_ + ":" + std::to_string(port_) + " within " + seconds(timeout_) +
                               (isServer ? " (is the port free?)" : " (is rank 0 or the launcher's store running, and are MASTER_ADDR/MASTER_PORT right?)") +
                               ": " + firstLine(e.what()));
    }
    store_ = c10::make_intrusive<c10d::PrefixStore>(prefix, tcp);
    store_->set("joined/" + std::to_string(rank_), std::vector<uint8_t>{1});

    auto opts = c10d::ProcessGroupGloo::Options::create(timeout_);
    // GLOO_SOCKET_IFNAME as in PyTorch; a loopback rendezvous keeps Gloo on loopback; otherwise Gloo picks
    // the address the host name resolves to.
    if (!iface.empty())
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(iface));
    else if (isLoopback(host_))
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    try {
      pg_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, rank_, world_, opts);
    } catch (const std::exception& e) {
      const std::string missing = missingRanks();
      // The store lives in the server's process: it waits for the other joined ranks to have read which
      // rank is missing before it can exit, or they would find the store gone instead (seen in CI).
      awaitRendezvousReports(isServer);
      throw std::runtime_error(who() + "rendezvous failed within " + seconds(timeout_) + missing + ": " + firstLine(e.what()));
    }
    LL_CATCH(env)
  }

  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeProcessGroup", {
        InstanceMethod<&ProcessGroupWrap::Allreduce>("allreduce"),
        InstanceMethod<&ProcessGroupWrap::Broadcast>("broadcast"),
        InstanceMethod<&ProcessGroupWrap::Allgather>("allgather"),
        InstanceMethod<&ProcessGroupWrap::Barrier>("barrier"),
        InstanceMethod<&ProcessGroupWrap::Close>("close"),
        InstanceAccessor<&ProcessGroupWrap::Rank>("rank"),
        InstanceAccessor<&ProcessGroupWrap::WorldSize>("worldSize"),
    });
  }

 private:
  std::string who() const { return "distributed: rank " + std::to_string(rank_) + " of " + std::to_string(world_) + ": "; }

  static std::string firstLine(const std::string& s) {
    std::string t = s;
    // c10::Error carries a C++ backtrace after the message; keep the message.
    const auto cut = t.find("\nException raised from");
    if (cut != std::string::npos) t = t.substr(0, cut);
    while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
    return t;
  }

  // Ranks whose "joined" key is absent: they never reached the store.
  std::string missingRanks() {
    std::string missing;
    try {
      for (int r = 0; r < world_; r++)
        if (!store_->check({"joined/" + std::to_string(r)})) missing += (missing.empty() ? "" : ", ") + std::to_string(r);
    } catch (...) {
      return " (the store stopped answering)";
    }
    return missing.empty() ? "" : " (rank " + missing + " never joined)";
  }

  // After a failed rendezvous every rank says it has asked the store; the server waits (up to 3 s) for
  // the ranks that joined to say so.
  void awaitRendezvousReports(bool isServer) {
    try {
      store_->set("rendezvous-failed/" + std::to_string(rank_), std::vector<uint8_t>{1});
      if (!isServer) return;
      const auto until = std::chrono::steady_clock::now() + std::min(timeout_, std::chrono::milliseconds(3000));
      for (;;) {
        bool all = true;
        for (int r = 0; r < world_ && all; r++)
          if (store_->check({"joined/" + std::to_string(r)}) && !store_->check({"rendezvous-failed/" + std::to_string(r)})) all = false;
        if (all || std::chrono::steady_clock::now() >= until) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    } catch (...) {
    }
  }

  // Which ranks did not fail with us: every rank that sees collective #seq fail writes a key for it, then
  // waits a moment for the others' keys. A rank that exited, crashed or hangs never writes its key, so the
  // missing keys name it. Empty when every rank reported (or none could be asked: the store is gone).
  std::string silentRanks(bool& storeGone) {
    storeGone = false;
    const std::string base = "failed/" + std::to_string(seq_) + "/";
    const auto window = std::min(timeout_, std::chrono::milliseconds(3000));
    const auto until = std::chrono::steady_clock::now() + window;
    std::vector<int> silent;
    try {
      store_->set(base + std::to_string(rank_), std::vector<uint8_t>{1});
      for (;;) {
        silent.clear();
        for (int r = 0; r < world_; r++)
          if (r != rank_ && !store_->check({base + std::to_string(r)})) silent.push_back(r);
        if (silent.empty() || std::chrono::steady_clock::now() >= until) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    } catch (...) {
      storeGone = true;
      return "";
    }
    std::string out;
    for (int r : silent) out += (out.empty() ? "" : ", ") + std::to_string(r);
    return out;
  }

  // Wraps a failed collective's message: the op, its sequence number and the ranks that failed to take part.
  std::runtime_error failure(const std::string& op, const std::exception& e) {
    const std::string msg = firstLine(e.what());
    const bool timedOut = msg.find("imed out") != std::string::npos || msg.find("imeout") != std::string::npos;
    bool storeGone = false;
    const std::string silent = silentRanks(storeGone);
    const std::string ranks = silent.find(',') == std::string::npos ? "rank " + silent : "ranks " + silent;
    std::string what;
    if (storeGone)
      what = "rank 0's rendezvous store is gone too, so rank 0 (or the launcher holding the store) exited or crashed";
    else if (silent.empty())
      what = "every rank saw it fail";
    else if (timedOut)
      what = "peer " + ranks + " did not answer within " + seconds(timeout_) + " (it hangs, exited, or is slower than the timeout)";
    else
      what = "peer " + ranks + " closed the connection (exited or crashed)";
    broken_ = true;
    return std::runtime_error(who() + op + " #" + std::to_string(seq_) + " failed: " + what + ". Gloo said: " + msg);
  }

  c10d::ProcessGroupGloo& group(Napi::Env env, const std::string& op) {
    if (!pg_) throw Napi::Error::New(env, who() + op + ": the process group is closed");
    if (broken_) throw Napi::Error::New(env, who() + op + ": an earlier collective failed; the process group cannot be used again");
    seq_++;
    return *pg_;
  }

  std::vector<at::Tensor> tensors(Napi::Env env, Napi::Value v, const std::string& op) {
    if (!v.IsArray()) throw Napi::TypeError::New(env, who() + op + ": expected an array of tensors");
    Napi::Array a = v.As<Napi::Array>();
    std::vector<at::Tensor> out;
    for (uint32_t i = 0; i < a.Length(); i++) {
      at::Tensor t = unwrapTensor(env, a.Get(i), op);
      if (!t.device().is_cpu() || !t.is_contiguous() || t.is_sparse())
        throw Napi::TypeError::New(env, who() + op + ": tensors must be dense, contiguous and on the CPU (Gloo)");
      out.push_back(t);
    }
    if (out.empty()) throw Napi::TypeError::New(env, who() + op + ": expected at least one tensor");
    return out;
  }

  void run(const std::string& op, const std::function<c10::intrusive_ptr<c10d::Work>()>& start) {
    try {
      start()->wait();
    } catch (const std::exception& e) {
      throw failure(op, e);
    }
  }

  // allreduce(tensors, op): in place; every tensor of the list (same dtype and shape) is reduced.
  Napi::Value Allreduce(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    LL_TRY
    auto& pg = group(env, "allreduce");
    std::vector<at::Tensor> ts = tensors(env, info[0], "allreduce");
    const std::string op = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "sum";
    c10d::AllreduceOptions o;
    o.timeout = timeout_;
    if (op == "sum") o.reduceOp = c10d::ReduceOp::SUM;
    else if (op == "max") o.reduceOp = c10d::ReduceOp::MAX;
    else if (op == "min") o.reduceOp = c10d::ReduceOp::MIN;
    else if (op == "product") o.reduceOp = c10d::ReduceOp::PRODUCT;
    else throw Napi::TypeError::New(env, who() + "allreduce: op must be sum, max, min or product, got '" + op + "'");
    run("allreduce", [&] { return pg.allreduce(ts, o); });
    return env.Undefined();
    LL_CATCH(env)
  }

  // broadcast(tensors, root): in place, root's values to every rank.
  Napi::Value Broadcast(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    LL_TRY
    auto& pg = group(env, "broadcast");
    std::vector<at::Tensor> ts = tensors(env, info[0], "broadcast");
    const int root = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
    if (root < 0 || root >= world_) throw Napi::RangeError::New(env, who() + "broadcast: root " + std::to_string(root) + " is not a rank");
    c10d::BroadcastOptions o;
    o.rootRank = root;
    o.timeout = timeout_;
    // Gloo broadcasts one tensor per call on CPU; a list is sent tensor by tensor.
    for (auto& t : ts) {
      std::vector<at::Tensor> one{t};
      run("broadcast", [&] { return pg.broadcast(one, o); });
    }
    return env.Undefined();
    LL_CATCH(env)
  }

  // allgather(tensor) -> one new tensor per rank (rank order), each shaped like the input.
  Napi::Value Allgather(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    LL_TRY
    auto& pg = group(env, "allgather");
    Napi::Array one = Napi::Array::New(env, 1);
    one.Set(0u, info[0]);
    std::vector<at::Tensor> in = tensors(env, one, "allgather");
    if (in.size() != 1) throw Napi::TypeError::New(env, who() + "allgather: expected one tensor");
    std::vector<std::vector<at::Tensor>> out(1);
    for (int r = 0; r < world_; r++) out[0].push_back(at::empty_like(in[0]));
    c10d::AllgatherOptions o;
    o.timeout = timeout_;
    run("allgather", [&] { return pg.allgather(out, in, o); });
    Napi::Array a = Napi::Array::New(env, out[0].size());
    for (size_t r = 0; r < out[0].size(); r++) a.Set(uint32_t(r), Napi::Number::New(env, newHandle(env, out[0][r])));
    return a;
    LL_CATCH(env)
  }

  Napi::Value Barrier(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    LL_TRY
    auto& pg = group(env, "barrier");
    c10d::BarrierOptions o;
    o.timeout = timeout_;
    run("barrier", [&] { return pg.barrier(o); });
    return env.Undefined();
    LL_CATCH(env)
  }

  // Drops the group and this rank's store connection (rank 0's store server stops with it).
  Napi::Value Close(const Napi::CallbackInfo& info) {
    LL_TRY
    pg_.reset();
    store_.reset();
    return info.Env().Undefined();
    LL_CATCH(info.Env())
  }

  Napi::Value Rank(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), rank_); }
  Napi::Value WorldSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), world_); }

  std::string host_;
  int port_ = 0;
  int rank_ = 0;
  int world_ = 1;
  std::chrono::milliseconds timeout_{0};
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg_;
  uint64_t seq_ = 0;
  bool broken_ = false;
};

#else

// Built without Gloo's headers (apt-get install libgloo-dev, then rebuild the addon): the class exists so
// that the rest of the addon loads, and says what is missing when used.
class ProcessGroupWrap : public Napi::ObjectWrap<ProcessGroupWrap> {
 public:
  explicit ProcessGroupWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProcessGroupWrap>(info) {
    throw Napi::Error::New(info.Env(),
                           "distributed: the addon was built without Gloo (install libgloo-dev, e.g. apt-get install libgloo-dev, and rebuild: ./run.sh setup)");
  }
  static Napi::Function Init(Napi::Env env) { return DefineClass(env, "NativeProcessGroup", {}); }
};

#endif

}  // namespace

Napi::Function initProcessGroup(Napi::Env env) { return ProcessGroupWrap::Init(env); }

}  // namespace ll
