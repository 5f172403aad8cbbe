#include "detector/detector.h"

#include <time.h>

#include "common/log.h"

namespace riposte::detector {
namespace {

int64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

Detector::Detector(const rules::Ruleset* rules, ContainerResolver* containers,
                   ProcessTable* procs, AlertSink* sink, Registry* registry,
                   std::string hostname)
    : rules_(rules),
      containers_(containers),
      procs_(procs),
      sink_(sink),
      registry_(registry),
      hostname_(std::move(hostname)),
      boot_to_wall_ns_(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME)),
      exec_events_(&registry->counter("riposte_detector_events_total",
                                      "Kernel events processed, by event type",
                                      {{"type", "execve"}})),
      emit_failures_(&registry->counter("riposte_detector_alert_emit_failures_total",
                                        "Alerts the output refused (queue full or write error)")) {}

void Detector::on_exec(const ExecRecord& rec) {
  exec_events_->inc();
  const uint64_t wall = static_cast<uint64_t>(static_cast<int64_t>(rec.boot_ns) + boot_to_wall_ns_);
  auto container = containers_->resolve(rec.cgroup_v2, rec.cgroup_v1);
  const std::string root_key = container ? container->full_id : std::string();
  ProcessInfo* proc = procs_->on_exec(rec, wall, std::move(container));
  proc->user_name = users_.user_name(root_key, rec.pid, rec.uid);
  proc->group_name = users_.group_name(root_key, rec.pid, rec.gid);
  if (rec.loginuid != UINT32_MAX) proc->login_name = users_.user_name({}, rec.pid, rec.loginuid);

  Event ev;
  ev.type = EventType::kExecve;
  ev.dir = '<';
  ev.ts_ns = wall;
  ev.num = ++num_;
  ev.res = 0;
  ev.proc = proc;
  ev.procs = procs_;
  ev.args.path = proc->exepath;
  evaluate(ev);
}

void Detector::evaluate(const Event& ev) {
  matches_.clear();
  rules_->evaluate(ev, &matches_);
  for (const rules::CompiledRule* rule : matches_) {
    Alert alert = rules::make_alert(*rule, ev, hostname_);
    registry_
        ->counter("riposte_detector_alerts_total", "Alerts raised, by rule and priority",
                  {{"rule", alert.rule}, {"priority", std::string(priority_name(alert.priority))}})
        .inc();
    if (Status st = sink_->emit(alert); !st.ok()) {
      emit_failures_->inc();
      log::warn("alert not emitted", {{"rule", alert.rule}, {"error", st.error()}});
    }
  }
}

}  // namespace riposte::detector
