// Sensor benchmarks: the whole detector path (eBPF programs, ring buffer, process/fd state,
// Falco's stable ruleset plus riposte's default rules, alerts to a counting sink) against
// real syscall workloads. Needs root (it loads the BPF programs). Workloads run in forked
// children pinned to CPU 0 (the detector ignores its own process); the detector's reader
// thread is pinned to CPU 1. Run them on an otherwise idle machine; on a shared one, under a
// real-time policy so other jobs do not decide the figures (children and threads inherit it):
//
//   sudo chrt -f 50 build/bin/riposte-bench --benchmark_filter='^sensor/'
//
//   sensor/event_rate/<events per s>   a child makes syscalls that all reach user space
//                                      (reported_events: a write open and dup2s) at that
//                                      rate for 3 s (0 = as fast as it can); counters: offered and
//                                      handled events/s, kernel drops (must be 0), the
//                                      reader thread's CPU time and events per CPU-second
//   sensor/open_close/<0|1|2>          ns per open+close pair without (0) / with (1) the
//                                      detector running (its default hook: fexit where the
//                                      kernel allows it), and with it forced on the
//                                      tp_btf/sys_exit hook (2); the label says the hook used
//   sensor/fork_exec/<0|1|2>           µs per fork + exec(/bin/true) + wait, same
//   sensor/rss_10k_processes           RSS of a riposte-detector process (separate binary,
//                                      same rules) with 10,000 more live processes
//
// The upstream rules are read from ../shared/falco-rules beside the repository (or
// $RIPOSTE_FALCO_RULES_DIR); without them the benchmarks say so and stop.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "detector/detector.h"
#include "detector/sensor/bpf_source.h"
#include "detector/sensor/syscall_table.h"

namespace riposte::detector {
namespace {

namespace fs = std::filesystem;

fs::path source_dir() {
  if (const char* s = std::getenv("RIPOSTE_SOURCE_DIR"); s != nullptr && *s != '\0') return s;
  return fs::path(__FILE__).parent_path().parent_path().parent_path();
}

fs::path falco_dir() {
  if (const char* s = std::getenv("RIPOSTE_FALCO_RULES_DIR"); s != nullptr && *s != '\0') return s;
  return (source_dir() / ".." / "shared" / "falco-rules").lexically_normal();
}

std::vector<std::string> rule_files() {
  return {(falco_dir() / "falco_rules.yaml").string(),
          (source_dir() / "detector" / "default_rules" / "riposte_rules.yaml").string()};
}

int64_t now_ns(clockid_t id = CLOCK_MONOTONIC) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

// Why a benchmark cannot run, or "" when it can.
std::string preconditions() {
  if (geteuid() != 0) return "needs root (loads eBPF programs)";
  if (!fs::exists(rule_files()[0])) return "Falco's rules not found in " + falco_dir().string();
  return "";
}

class CountingSink final : public AlertSink {
 public:
  Status emit(const Alert&) override {
    ++alerts_;
    return {};
  }
  uint64_t alerts() const { return alerts_; }

 private:
  uint64_t alerts_ = 0;
};

// The detector as riposte-detector wires it (no Kubernetes), with its reader on CPU 1.
class Harness {
 public:
  explicit Harness(SyscallHook hook = SyscallHook::kAuto)
      : loaded_(rules::load_rules(rule_files())),
        containers_(nullptr),
        enricher_(&containers_, &users_, boot_to_wall()),
        reader_("/proc", boot_to_wall()),
        procs_(65536, &reader_, [this](ProcessInfo* p, const ProcSnapshot& s) { enricher_.apply(p, s); }),
        det_(loaded_.ruleset.get(), &enricher_, &procs_, &reader_, &sink_, &registry_, "bench", boot_to_wall()),
        source_(options(*loaded_.ruleset, hook)) {}
  ~Harness() { stop(); }

  Status start() {
    if (Status st = source_.start(&det_); !st.ok()) return st;
    procs_.scan();
    thread_ = std::thread([this] {
      pin_to(1);
      while (!stop_.load(std::memory_order_relaxed)) (void)source_.poll(10);
      // drain what the workload left in the buffer
      for (uint64_t before = ~0ull; before != source_.records();) {
        before = source_.records();
        (void)source_.poll(20);
      }
      reader_cpu_ns_ = now_ns(CLOCK_THREAD_CPUTIME_ID);
    });
    return {};
  }
  // Stops the reader after draining; counters below are read after this.
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  uint64_t records() const { return source_.records(); }
  SyscallHook hook() const { return source_.syscall_hook(); }
  uint64_t drops() const { return source_.kernel_drops(); }
  uint64_t events() const { return det_.events(); }
  // CPU time the reader thread used (read after stop()): what the events cost in user space.
  double reader_cpu_s() const { return static_cast<double>(reader_cpu_ns_) / 1e9; }

 private:
  static int64_t boot_to_wall() { return now_ns(CLOCK_REALTIME) - now_ns(CLOCK_BOOTTIME); }
  static BpfSourceOptions options(const rules::Ruleset& rules, SyscallHook hook) {
    BpfSourceOptions o;
    o.syscall_hook = hook;
    o.ring_bytes = 8u << 20;  // riposte-detector's default
    select_syscalls(rules, &o);
    return o;
  }

  rules::LoadResult loaded_;
  ContainerResolver containers_;
  UserResolver users_;
  ProcessEnricher enricher_;
  ProcReader reader_;
  ProcessTable procs_;
  Registry registry_;
  CountingSink sink_;
  Detector det_;
  BpfSource source_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  int64_t reader_cpu_ns_ = 0;
};

// A workload in a child pinned to CPU 0, forked before the detector is loaded: a process
// forked from the detector would inherit its ring buffer mapping, and every fork() it made
// would copy those page tables, which is a cost of this harness, not of the sensor. The
// child waits for run(); fn's result (a number) comes back through a pipe.
class Workload {
 public:
  template <typename Fn>
  explicit Workload(Fn fn) {
    if (pipe(go_) != 0 || pipe(result_) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      pin_to(0);
      char c;
      if (read(go_[0], &c, 1) != 1) _exit(1);
      double v = fn();
      if (write(result_[1], &v, sizeof v) != sizeof v) _exit(1);
      _exit(0);
    }
  }
  ~Workload() {
    for (int fd : {go_[0], go_[1], result_[0], result_[1]}) close(fd);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  double run() {
    double v = -1;
    if (write(go_[1], "g", 1) != 1 || read(result_[0], &v, sizeof v) != sizeof v) v = -1;
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return v;
  }

 private:
  int go_[2] = {-1, -1}, result_[2] = {-1, -1};
  pid_t pid_ = -1;
};

// open("/dev/null") + close() pairs, the most common syscalls a ruleset watches. With Falco's
// stable rules neither reaches user space: the kernel's open filter drops read-only opens
// outside the paths the rules name, and closes are not sent.
void open_close(int64_t n) {
  for (int64_t i = 0; i < n; ++i) close(open("/dev/null", O_RDONLY));
}

// Syscalls every one of which the detector must take to user space: a write open (a stable
// rule matches *.log anywhere, so write opens all pass) and three dup2 (the fd tables need
// them), then an unreported close. kEventsPerStep records per step.
constexpr int64_t kEventsPerStep = 4;
void reported_events(int64_t steps) {
  for (int64_t i = 0; i < steps; ++i) {
    const int fd = open("/dev/null", O_WRONLY);
    for (int target = 900; target < 903; ++target) dup2(fd, target);
    close(fd);
  }
}

void BM_EventRate(benchmark::State& state) {
  if (auto why = preconditions(); !why.empty()) return state.SkipWithError(why.c_str());
  const double rate = static_cast<double>(state.range(0));  // events/s; 0 = unthrottled
  constexpr double kSeconds = 3.0;
  for (auto _ : state) {
    Workload w([&] {
      const int64_t start = now_ns();
      const int64_t end = start + static_cast<int64_t>(kSeconds * 1e9);
      int64_t events = 0;
      for (int64_t t = start; t < end; t = now_ns()) {
        reported_events(32);
        events += 32 * kEventsPerStep;
        if (rate > 0) {  // hold the rate: wait until the batch is due
          const int64_t due = start + static_cast<int64_t>(static_cast<double>(events) / rate * 1e9);
          while (now_ns() < due) {
          }
        }
      }
      return static_cast<double>(events) / (static_cast<double>(now_ns() - start) / 1e9);
    });
    Harness h;
    if (Status st = h.start(); !st.ok()) return state.SkipWithError(st.error().c_str());
    const uint64_t drops0 = h.drops();
    const double offered = w.run();
    h.stop();
    state.SetIterationTime(kSeconds);
    state.counters["offered_per_s"] = offered;
    state.counters["handled_per_s"] = static_cast<double>(h.events()) / kSeconds;
    state.counters["kernel_drops"] = static_cast<double>(h.drops() - drops0);
    // the reader's capacity: events it can handle per second of its own CPU
    state.counters["reader_cpu_s"] = h.reader_cpu_s();
    state.counters["capacity_per_cpu_s"] = static_cast<double>(h.events()) / h.reader_cpu_s();
  }
}
BENCHMARK(BM_EventRate)
    ->Name("sensor/event_rate")
    ->Arg(250'000)->Arg(500'000)->Arg(750'000)->Arg(1'000'000)->Arg(0)
    ->UseManualTime()->Iterations(1)->Unit(benchmark::kSecond);

// Runs a workload (in a child) without the detector (range 0), with it (1), or with it on the
// sys_exit tracepoint (2); reports ns per unit.
template <typename Fn>
void with_or_without_detector(benchmark::State& state, Fn workload) {
  if (auto why = preconditions(); !why.empty()) return state.SkipWithError(why.c_str());
  for (auto _ : state) {
    Workload w(workload);
    std::unique_ptr<Harness> h;
    if (state.range(0) != 0) {
      h = std::make_unique<Harness>(state.range(0) == 2 ? SyscallHook::kTracepoint : SyscallHook::kAuto);
      if (Status st = h->start(); !st.ok()) return state.SkipWithError(st.error().c_str());
      state.SetLabel(to_string(h->hook()));
    }
    const double ns_per_unit = w.run();
    state.SetIterationTime(ns_per_unit / 1e9);
    if (h) {
      h->stop();
      state.counters["kernel_drops"] = static_cast<double>(h->drops());
    }
  }
}

void BM_OpenClose(benchmark::State& state) {
  with_or_without_detector(state, [] {
    constexpr int64_t kPairs = 2'000'000;
    open_close(10'000);  // warm up
    const int64_t start = now_ns();
    open_close(kPairs);
    return static_cast<double>(now_ns() - start) / kPairs;
  });
}
BENCHMARK(BM_OpenClose)->Name("sensor/open_close")->Arg(0)->Arg(1)->Arg(2)->UseManualTime()->Iterations(3)->Unit(benchmark::kNanosecond);

void BM_ForkExec(benchmark::State& state) {
  with_or_without_detector(state, [] {
    constexpr int kLoops = 3000;
    const int64_t start = now_ns();
    for (int i = 0; i < kLoops; ++i) {
      pid_t pid = fork();
      if (pid == 0) {
        execl("/bin/true", "true", static_cast<char*>(nullptr));
        _exit(127);
      }
      waitpid(pid, nullptr, 0);
    }
    return static_cast<double>(now_ns() - start) / kLoops;
  });
}
BENCHMARK(BM_ForkExec)->Name("sensor/fork_exec")->Arg(0)->Arg(1)->Arg(2)->UseManualTime()->Iterations(3)->Unit(benchmark::kMicrosecond);

uint64_t status_kb(pid_t pid, const char* key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::strtoull(line.c_str() + std::strlen(key) + 1, nullptr, 10);
  }
  return 0;
}

void BM_Rss10kProcesses(benchmark::State& state) {
  if (auto why = preconditions(); !why.empty()) return state.SkipWithError(why.c_str());
  const fs::path detector = fs::read_symlink("/proc/self/exe").parent_path() / "riposte-detector";
  if (!fs::exists(detector)) return state.SkipWithError("build riposte-detector first");
  constexpr int kProcesses = 10'000;
  for (auto _ : state) {
    std::vector<pid_t> sleepers;
    for (int i = 0; i < kProcesses; ++i) {
      pid_t pid = fork();
      if (pid == 0) {
        pause();
        _exit(0);
      }
      if (pid > 0) sleepers.push_back(pid);
    }
    // The detector scans /proc at start: every process (and its fds) goes into its tables.
    int out[2];
    if (pipe(out) != 0) return state.SkipWithError("pipe");
    pid_t det = fork();
    if (det == 0) {
      dup2(out[1], 2);
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, 1);  // alerts about this machine's own activity are not the point
      const auto files = rule_files();
      execl(detector.c_str(), "riposte-detector", "--rules", files[0].c_str(), "--rules", files[1].c_str(),
            "--no-kube", "--ops-addr", "", "--log-level", "info", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    std::string log;
    char buf[4096];
    for (ssize_t n; log.find("detector running") == std::string::npos && (n = read(out[0], buf, sizeof buf)) > 0;) {
      log.append(buf, static_cast<size_t>(n));
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));  // settle: processes exiting meanwhile
    state.counters["rss_mb"] = static_cast<double>(status_kb(det, "VmRSS:")) / 1024.0;
    state.counters["peak_rss_mb"] = static_cast<double>(status_kb(det, "VmHWM:")) / 1024.0;
    state.counters["processes"] = kProcesses;
    kill(det, SIGTERM);
    waitpid(det, nullptr, 0);
    close(out[0]);
    for (pid_t p : sleepers) kill(p, SIGKILL);
    for (pid_t p : sleepers) waitpid(p, nullptr, 0);
  }
}
BENCHMARK(BM_Rss10kProcesses)->Name("sensor/rss_10k_processes")->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
}  // namespace riposte::detector
