#include "detector/detector.h"

#include "common/log.h"
#include "detector/alert_context.h"
#include "detector/state/environ.h"

namespace riposte::detector {

Detector::Detector(const rules::Ruleset* rules, ProcessEnricher* enricher, ProcessTable* procs,
                   const ProcReader* reader, AlertSink* sink, Registry* registry,
                   std::string hostname, int64_t boot_to_wall_ns)
    : rules_(rules),
      enricher_(enricher),
      procs_(procs),
      sink_(sink),
      registry_(registry),
      hostname_(std::move(hostname)),
      boot_to_wall_ns_(boot_to_wall_ns),
      syscalls_(reader,
                &registry->counter("riposte_detector_fd_entries_refreshed_total",
                                   "fd table entries rebuilt from the kernel's view of the fd "
                                   "when used: closed and reused unseen, or never seen")),
      unknown_process_(&registry->counter(
          "riposte_detector_unknown_process_events_total",
          "Syscall records of a process that was already gone from /proc and the thread table")),
      emit_failures_(&registry->counter("riposte_detector_alert_emit_failures_total",
                                        "Alerts the output refused (queue full or write error)")) {}

void Detector::count(EventType type) {
  Counter*& c = by_type_[static_cast<size_t>(type)];
  if (c == nullptr) {
    c = &registry_->counter("riposte_detector_events_total", "Kernel events processed, by event type",
                            {{"type", std::string(event_type_name(type))}});
  }
  c->inc();
}

void Detector::on_exec(const ExecRecord& rec) {
  count(EventType::kExecve);
  ProcessInfo* proc = procs_->on_exec(rec, wall(rec.boot_ns), enricher_->container_for(rec));
  enricher_->apply(proc, rec);
  if (auto env = pending_env_.find(rec.pid); env != pending_env_.end()) {
    proc->env = std::move(env->second);
    pending_env_.erase(env);
  }
  if (rec.start_boot_ns != 0) proc->start_ns = wall(rec.start_boot_ns);
  // What the rules may look up is loaded now, so evaluation changes nothing.
  const ProcessInfo* evp = proc;
  if (procs_->prepare(rec.pid) && (evp = procs_->lookups().find(rec.pid)) == nullptr) {
    if (hold_ != nullptr) hold_->decide(rec, nullptr);  // never leave it stopped
    return;
  }

  Event ev;
  ev.type = EventType::kExecve;
  ev.dir = '<';
  ev.ts_ns = wall(rec.boot_ns);
  ev.num = ++num_;
  ev.cpu = static_cast<int32_t>(rec.cpu);
  ev.res = 0;
  ev.proc = evp;
  ev.procs = &procs_->lookups();
  ev.args.path = evp->exepath;
  rules_->evaluate(ev, &matches_);
  // The process waits, stopped, for this: decide before anything else.
  if (hold_ != nullptr && (rec.held || !hold_->rules().empty())) {
    const EnforcedRule* by = enforcing_match(ev);
    // The guardrails (a playbook's match is checked on the alert the exec raises): out of
    // them, or in a dry run, the process resumes; the alert still goes out.
    // --enforce alone needs no alert: the process waits for none.
    const bool kill =
        by != nullptr &&
        hold_->should_kill(*by, *evp,
                           ExecHold::needs_alert(*by) ? enforced_alert(*by, ev) : Alert{});
    hold_->decide(rec, kill ? by->rule : nullptr);
    // A kernel rule that held for this exec matches here too (it is exact): only then may the
    // kernel have left its cgroup to classify.
    if (kernel_decision_ != nullptr && by != nullptr && !rec.killed_in_kernel)
      kernel_decision_->classify(rec, *evp, *hold_);
  }
  emit(ev);
}

const EnforcedRule* Detector::enforcing_match(const Event& ev) const {
  for (const EnforcedRule& r : hold_->rules()) {
    for (const rules::CompiledRule* m : matches_) {
      if (m == r.rule) return &r;
    }
  }
  // Not among this event's matches: first-match may have stopped at another rule, or the rules
  // were reloaded since the hold was set up (it keeps the rules it started with, whose
  // compiled rules are not the new set's): each enforcing rule is asked itself. Only exec
  // events reach here, and only while something is enforced.
  for (const EnforcedRule& r : hold_->rules()) {
    if (rules_->matches(ev, *r.rule)) return &r;
  }
  return nullptr;
}

Alert Detector::enforced_alert(const EnforcedRule& by, const Event& ev) const {
  Alert alert = rules::make_alert(*by.rule, ev, hostname_);
  append_context(ev, &alert);
  return alert;
}

void Detector::on_env(const EnvRecord& rec) {
  constexpr size_t kMaxPending = 1024;
  if (pending_env_.size() >= kMaxPending) pending_env_.clear();
  pending_env_[rec.pid] = split_environ(rec.env);
}

void Detector::on_fork(const ForkRecord& rec) {
  // clone/fork as rule events come from the syscall program (when a rule wants them); this
  // record only keeps the process tree.
  procs_->on_fork(rec, wall(rec.boot_ns));
}

void Detector::on_exit(const ExitRecord& rec) {
  count(EventType::kProcExit);
  if (hold_ != nullptr) hold_->exited(rec.pid, rec.boot_ns);
  if (rules_->event_types().contains(EventType::kProcExit)) {
    procs_->find(rec.pid);  // read from /proc when unknown
    procs_->prepare(rec.pid);
    if (const ProcessInfo* proc = procs_->lookups().find(rec.pid)) {
      Event ev;
      ev.type = EventType::kProcExit;
      ev.ts_ns = wall(rec.boot_ns);
      ev.num = ++num_;
      ev.cpu = static_cast<int32_t>(rec.cpu);
      ev.res = rec.exit_code;
      ev.proc = proc;
      ev.procs = &procs_->lookups();
      evaluate(ev);
    }
  }
  procs_->on_exit(rec.pid);
}

void Detector::on_syscall(const SyscallRecord& rec) {
  ProcessInfo* proc = procs_->get(rec.pid);
  // What the rules may look up is loaded now, so evaluation changes nothing; a full table may
  // have evicted the process meanwhile, then it is looked up again.
  if (proc != nullptr && procs_->prepare(rec.pid)) proc = procs_->get(rec.pid);
  if (proc == nullptr) {
    unknown_process_->inc();
    return;
  }
  if (rec.creds) enricher_->apply(proc, *rec.creds);
  FdTable* fds = procs_->fds(rec.pid);
  if (!syscalls_.build(rec, proc, fds, &ev_)) return;
  count(ev_.type);
  ev_.ts_ns = wall(rec.boot_ns);
  ev_.num = ++num_;
  ev_.cpu = static_cast<int32_t>(rec.cpu);
  ev_.proc = proc;
  ev_.procs = &procs_->lookups();
  evaluate(ev_);
  syscalls_.finish(rec, fds);
}

void Detector::evaluate(const Event& ev) {
  if (rules_->evaluate(ev, &matches_) == 0) return;
  emit(ev);
}

void Detector::emit(const Event& ev) {
  for (const rules::CompiledRule* rule : matches_) {
    Alert alert = rules::make_alert(*rule, ev, hostname_);
    append_context(ev, &alert);
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
