// The detector's thread table: one entry per process (thread group), keyed by pid, with its
// fd table. Filled from fork/exec records as they happen, from /proc for processes that
// started earlier (scan() at start, then lazily on a miss), and reaped on exit records, so
// memory follows the live processes. proc.pname / proc.aname walk it through lookups().
// Bounded: past max_entries the least recently inserted entries go first (a safety net for
// lost exit records; normally exits reap precisely).
//
// Reading /proc and evicting happen only in the mutating calls: the event path calls
// prepare() before evaluating an event, and the rules' view (lookups()) then only looks
// entries up, so nothing changes under an evaluation.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "detector/event/event.h"
#include "detector/sensor/exec_record.h"
#include "detector/sensor/syscall_record.h"
#include "detector/state/fd_table.h"
#include "detector/state/proc_reader.h"

namespace riposte::detector {

class ProcessTable {
 public:
  // Completes an entry read from /proc (container, user names): called with the snapshot's
  // cgroup paths.
  using Enricher = std::function<void(ProcessInfo*, const ProcSnapshot&)>;

  // reader: where misses are looked up; null = never read /proc.
  explicit ProcessTable(size_t max_entries = 65536, const ProcReader* reader = nullptr,
                        Enricher enrich = {});
  ProcessTable(const ProcessTable&) = delete;
  ProcessTable& operator=(const ProcessTable&) = delete;

  // Replaces the image of rec.pid (same fd table, minus its close-on-exec fds).
  ProcessInfo* on_exec(const ExecRecord& rec, uint64_t wall_ns,
                       std::shared_ptr<const ContainerInfo> container);
  // A new process: a copy of its parent (name, args, cwd, container, users) until it execs,
  // with a copy of the parent's fds (or the same table with CLONE_FILES).
  ProcessInfo* on_fork(const ForkRecord& rec, uint64_t wall_ns);
  void on_exit(int64_t pid);

  // The process and its fd table, read from /proc when unknown; null when it is gone.
  ProcessInfo* get(int64_t pid);
  FdTable* fds(int64_t pid);
  // Known entry, or one read from /proc (without its fds); null when the process is gone.
  const ProcessInfo* find(int64_t pid);

  // How far up the rules look (proc.aname[n], n < kMaxAncestry): rules::EvalScratch's bound.
  static constexpr int kMaxAncestry = 65;
  // Loads from /proc what evaluating an event of `pid` may look up and the table lacks: its
  // ancestors, its session and process-group leaders. Remembered per entry until the table
  // changes. True when the table changed meanwhile (pointers to entries may be stale).
  bool prepare(int64_t pid);
  // The rules' view: lookups only, no /proc reads, no eviction.
  const ProcessLookup& lookups() const { return lookups_; }

  // Loads every process in /proc that is not known yet, with its fds. Returns how many.
  size_t scan();
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::unique_ptr<ProcessInfo> info;
    std::shared_ptr<FdTable> fds;
    bool fds_loaded = false;
    std::list<int64_t>::iterator age;
    uint64_t prepared = 0;  // the table's version when prepare() last found all it needs
  };
  class Lookups final : public ProcessLookup {
   public:
    explicit Lookups(const ProcessTable* table) : table_(table) {}
    const ProcessInfo* find(int64_t pid) const override;

   private:
    const ProcessTable* table_;
  };

  Entry* insert(int64_t pid, std::unique_ptr<ProcessInfo> info, std::shared_ptr<FdTable> fds);
  Entry* load(int64_t pid);

  size_t max_entries_;
  const ProcReader* reader_;
  Enricher enrich_;
  std::unordered_map<int64_t, Entry> entries_;
  std::list<int64_t> ages_;  // oldest first
  // pids /proc did not have, and when (ms): parents that exited are asked about on every
  // ancestor walk of their orphans, and /proc misses are not free.
  std::unordered_map<int64_t, int64_t> missing_;
  uint64_t version_ = 1;  // bumped by every insert and removal
  Lookups lookups_{this};
};

}  // namespace riposte::detector
