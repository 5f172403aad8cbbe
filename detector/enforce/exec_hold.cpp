#include "detector/enforce/exec_hold.h"

#include <bpf/bpf.h>
#include <fnmatch.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "common/log.h"
#include "detector/state/pidfd.h"

extern "C" {
#include "bpf/events.h"
}

namespace riposte::detector {
namespace {

uint64_t boot_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// The watchdog: only system calls from here on (it is forked from a threaded process).
[[noreturn]] void watchdog_loop(int held_fd, pid_t detector, uint64_t deadline_ns, int timeout_sig,
                                std::atomic<uint64_t>* expired) {
  prctl(PR_SET_NAME, "riposte-holdwd");
  // A fifth of the deadline, within [1 ms, 200 ms]: the upper bound is how long the
  // detector's death goes unnoticed (getppid below) while processes are held.
  const uint64_t period_ns = std::clamp<uint64_t>(deadline_ns / 5, 1000000, 200000000);
  for (;;) {
    const bool orphaned = getppid() != detector;
    const uint64_t now = boot_now_ns();
    uint32_t keys[4096];
    size_t n = 0;
    uint32_t key = 0;
    bool first = true;
    while (n < sizeof keys / sizeof keys[0] &&
           bpf_map_get_next_key(held_fd, first ? nullptr : &key, &key) == 0) {
      keys[n++] = key;
      first = false;
    }
    for (size_t i = 0; i < n; ++i) {
      riposte_held h{};
      if (bpf_map_lookup_elem(held_fd, &keys[i], &h) != 0) continue;
      if (!orphaned && now - h.held_at_ns < deadline_ns) continue;
      // Fail-open resumes; at the detector's death too, whatever kill_on_timeout says, unless
      // fail-closed was asked for.
      if (release_held(held_fd, keys[i], h.start_boot_ns, timeout_sig)) expired->fetch_add(1);
    }
    if (orphaned) _exit(0);
    // Seconds apart: a tv_nsec of a second or more is EINVAL, and the watchdog then spun on a
    // core for any --hold-deadline-ms of 5 s and above (the tests' 10 s did).
    const timespec period{static_cast<time_t>(period_ns / 1000000000ull),
                          static_cast<long>(period_ns % 1000000000ull)};
    nanosleep(&period, nullptr);
  }
}

constexpr const char* kExecKill = "riposte_detector_exec_kill_seconds";
constexpr const char* kExecKillHelp =
    "From the exec (sched_process_exec) to the process's exit, for execs killed at exec: by "
    "the kernel on its own (path=kernel) or by the detector after a hold (path=hold)";
const std::vector<double> kExecKillBuckets = {5e-6,   10e-6,  15e-6, 20e-6,  25e-6,  30e-6,  40e-6,
                                              50e-6,  60e-6,  75e-6, 100e-6, 125e-6, 150e-6, 200e-6,
                                              300e-6, 500e-6, 1e-3,  2e-3,   5e-3,   10e-3,  50e-3};
constexpr size_t kDyingMax = 4096;  // killed processes exit at once; a bound all the same

}  // namespace

Result<HoldPlan> plan_exec_hold(const rules::Ruleset& ruleset,
                                const std::vector<std::string>& names,
                                const std::vector<std::string>& namespaces, bool include_host) {
  HoldPlan plan;
  for (const std::string& name : names) {
    const rules::CompiledRule* r = ruleset.find(name);
    if (r == nullptr) return Error{"--enforce: no rule named \"" + name + "\" is loaded"};
    if (!r->enabled) return Error{"--enforce: rule \"" + name + "\" is disabled"};
    if (!r->filter.event_types().contains(EventType::kExecve)) {
      return Error{"--enforce: rule \"" + name +
                   "\" cannot match an exec (the hold stops processes at exec)"};
    }
    Enforcer by;
    by.source = "--enforce";
    by.namespaces = namespaces;
    by.host = include_host;
    add_enforcer(&plan, r, std::move(by));
  }
  return plan;
}

void add_enforcer(HoldPlan* plan, const rules::CompiledRule* rule, Enforcer by) {
  auto it = std::find_if(plan->rules.begin(), plan->rules.end(),
                         [rule](const EnforcedRule& e) { return e.rule == rule; });
  if (it != plan->rules.end()) {
    it->by.push_back(std::move(by));
    return;
  }
  plan->rules.push_back({rule, {std::move(by)}});
  // The kernel's candidates: the union of every enforcing rule's names.
  rules::ExecNames all{rules::NameSet::none(), rules::NameSet::none()};
  for (const EnforcedRule& e : plan->rules) all.add(e.rule->filter.exec_names());
  plan->kernel.enabled = true;
  plan->kernel.names_any = all.name.is_any();
  plan->kernel.pnames_any = all.pname.is_any();
  plan->kernel.names = all.name.names();
  plan->kernel.pnames = all.pname.names();
}

bool release_held(int held_fd, uint32_t pid, uint64_t start_boot_ns, int sig,
                  uint64_t* held_at_ns) {
  riposte_held h{};
  if (bpf_map_lookup_elem(held_fd, &pid, &h) != 0 || h.start_boot_ns != start_boot_ns) return false;
  if (bpf_map_delete_elem(held_fd, &pid) != 0) return false;  // someone else decided
  // The process is stopped: it cannot exit and free its pid before this signal (only a
  // SIGKILL from elsewhere can end it, and then kill() fails harmlessly).
  kill(static_cast<pid_t>(pid), sig);
  if (held_at_ns != nullptr) *held_at_ns = h.held_at_ns;
  return true;
}

ExecHold::ExecHold(HoldPlan plan, HoldOptions options, Registry* registry)
    : plan_(std::move(plan)),
      options_(options),
      killed_(&registry->counter("riposte_detector_exec_holds_total", "Held execs, by outcome",
                                 {{"outcome", "killed"}})),
      resumed_(&registry->counter("riposte_detector_exec_holds_total", "Held execs, by outcome",
                                  {{"outcome", "resumed"}})),
      held_for_(&registry->histogram(
          "riposte_detector_exec_hold_seconds",
          "From the kernel's hold at exec to the detector's signal (kill or resume)",
          {25e-6, 50e-6, 75e-6, 100e-6, 150e-6, 200e-6, 300e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3,
           50e-3})),
      killed_late_(&registry->counter("riposte_detector_exec_holds_total", "Held execs, by outcome",
                                      {{"outcome", "killed_after_deadline"}})),
      killed_unheld_(&registry->counter("riposte_detector_exec_holds_total",
                                        "Held execs, by outcome", {{"outcome", "killed_unheld"}})),
      out_of_scope_(&registry->counter("riposte_detector_exec_holds_total",
                                       "Held execs, by outcome",
                                       {{"outcome", "matched_out_of_scope"}})),
      dry_run_(&registry->counter("riposte_detector_exec_holds_total", "Held execs, by outcome",
                                  {{"outcome", "matched_dry_run"}})),
      missed_(&registry->counter("riposte_detector_exec_holds_total", "Held execs, by outcome",
                                 {{"outcome", "released_by_watchdog"}})),
      killed_in_kernel_(&registry->counter("riposte_detector_exec_holds_total",
                                           "Held execs, by outcome",
                                           {{"outcome", "killed_in_kernel"}})),
      killed_in_kernel_unmatched_(&registry->counter("riposte_detector_exec_holds_total",
                                                     "Held execs, by outcome",
                                                     {{"outcome", "killed_in_kernel_unmatched"}})),
      exec_to_death_kernel_(
          &registry->histogram(kExecKill, kExecKillHelp, kExecKillBuckets, {{"path", "kernel"}})),
      exec_to_death_hold_(
          &registry->histogram(kExecKill, kExecKillHelp, kExecKillBuckets, {{"path", "hold"}})) {
  registry
      ->gauge("riposte_detector_exec_holds_expired_total",
              "Held execs the watchdog released at the deadline or at the detector's death")
      .set_function([this] { return static_cast<double>(expired()); });
}

ExecHold::~ExecHold() {
  if (watchdog_ > 0) {
    kill(watchdog_, SIGKILL);
    waitpid(watchdog_, nullptr, 0);
  }
  if (held_fd_ >= 0) {  // nothing stays stopped after us
    uint32_t key = 0;
    while (bpf_map_get_next_key(held_fd_, nullptr, &key) == 0) {
      riposte_held h{};
      if (bpf_map_lookup_elem(held_fd_, &key, &h) == 0) {
        release_held(held_fd_, key, h.start_boot_ns, options_.kill_on_timeout ? SIGKILL : SIGCONT);
      } else {
        bpf_map_delete_elem(held_fd_, &key);
      }
    }
  }
  if (shared_ != nullptr) munmap(shared_, sizeof(Shared));
}

Status ExecHold::start(int held_fd) {
  if (held_fd < 0) return Error{"exec hold: the kernel side is not loaded"};
  held_fd_ = held_fd;
  void* mem =
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return Error{std::string("exec hold: mmap: ") + std::strerror(errno)};
  shared_ = new (mem) Shared();
  const pid_t self = getpid();
  const pid_t child = fork();
  if (child < 0)
    return Error{std::string("exec hold: cannot fork the watchdog: ") + std::strerror(errno)};
  if (child == 0) {
    watchdog_loop(held_fd, self, static_cast<uint64_t>(options_.deadline.count()) * 1000000ull,
                  options_.kill_on_timeout ? SIGKILL : SIGCONT, &shared_->expired);
  }
  watchdog_ = child;
  return {};
}

void ExecHold::decide(const ExecRecord& rec, const rules::CompiledRule* by) {
  if (held_fd_ < 0) return;
  if (rec.killed_in_kernel) {
    if (dying_.size() < kDyingMax) dying_[rec.pid] = {rec.boot_ns, true};
    if (by != nullptr) {
      killed_in_kernel_->inc();
      log::warn("exec killed in the kernel before it ran",
                {{"rule", by->name}, {"pid", rec.pid}, {"comm", rec.comm}, {"exe", rec.exe_path}});
    } else {
      killed_in_kernel_unmatched_->inc();
      log::error("exec killed in the kernel but no enforcing rule kills it here",
                 {{"pid", rec.pid}, {"comm", rec.comm}, {"exe", rec.exe_path}});
    }
    return;
  }
  if (!rec.held) {
    if (by != nullptr) kill_running(rec, *by, killed_unheld_);
    return;
  }
  uint64_t held_at = 0;
  if (release_held(held_fd_, rec.pid, rec.start_boot_ns, by != nullptr ? SIGKILL : SIGCONT,
                   &held_at)) {
    held_for_->observe(static_cast<double>(boot_now_ns() - held_at) / 1e9);
    (by != nullptr ? killed_ : resumed_)->inc();
    if (by != nullptr) {
      if (dying_.size() < kDyingMax) dying_[rec.pid] = {rec.boot_ns, false};
      log::warn("exec killed before it ran",
                {{"rule", by->name}, {"pid", rec.pid}, {"comm", rec.comm}, {"exe", rec.exe_path}});
    }
    return;
  }
  missed_->inc();  // the watchdog released it at the deadline
  if (by != nullptr) kill_running(rec, *by, killed_late_);
}

void ExecHold::kill_running(const ExecRecord& rec, const rules::CompiledRule& by,
                            Counter* outcome) {
  // By pidfd, and only the process that exec'd (its start time): a reused pid is never hit.
  auto proc = Pidfd::open(static_cast<pid_t>(rec.pid));
  if (!proc) return;  // gone already
  if (proc->start_ticks() == boot_ns_to_ticks(rec.start_boot_ns) && proc->signal(SIGKILL).ok()) {
    outcome->inc();
    log::warn("exec killed as it ran (not held)",
              {{"rule", by.name}, {"pid", rec.pid}, {"comm", rec.comm}});
  }
}

bool ExecHold::should_kill(const EnforcedRule& rule, const ProcessInfo& proc, const Alert& alert) {
  const Enforcer* dry = nullptr;
  for (const Enforcer& by : rule.by) {
    if (!in_scope(by, proc, alert)) continue;
    if (!by.dry_run) return true;
    dry = &by;
  }
  if (dry != nullptr) {
    dry_run_->inc();
    log::info("exec would be killed (dry run): resumed",
              {{"rule", rule.rule->name}, {"by", dry->source}, {"pid", proc.pid}});
  } else {
    out_of_scope_->inc();
  }
  return false;
}

bool ExecHold::needs_alert(const EnforcedRule& rule) {
  return std::any_of(rule.by.begin(), rule.by.end(),
                     [](const Enforcer& by) { return by.match.has_value(); });
}

bool ExecHold::in_scope(const Enforcer& by, const ProcessInfo& proc, const Alert& alert) const {
  if (proc.container == nullptr) {
    if (!by.host || !by.confined_to.empty()) return false;
  } else {
    const std::string ns = proc.container->pod != nullptr ? proc.container->pod->ns : "";
    if (by.protect && options_.protected_namespaces.contains(ns)) return false;
    if (!by.confined_to.empty() && ns != by.confined_to) return false;
    if (!by.namespaces.empty() &&
        std::none_of(by.namespaces.begin(), by.namespaces.end(), [&](const std::string& glob) {
          return fnmatch(glob.c_str(), ns.c_str(), 0) == 0;
        })) {
      return false;
    }
  }
  return !by.match || by.match->matches(alert);
}

void ExecHold::exited(uint32_t pid, uint64_t boot_ns) {
  auto it = dying_.find(pid);
  if (it == dying_.end()) return;
  const auto [exec_ns, in_kernel] = it->second;
  dying_.erase(it);
  if (boot_ns >= exec_ns) {
    (in_kernel ? exec_to_death_kernel_ : exec_to_death_hold_)
        ->observe(static_cast<double>(boot_ns - exec_ns) / 1e9);
  }
}

uint64_t ExecHold::expired() const { return shared_ != nullptr ? shared_->expired.load() : 0; }

}  // namespace riposte::detector
