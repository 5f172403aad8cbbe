// The detector's process table: one entry per process (thread-group leader), filled from
// exec records and, for processes that started before the detector, lazily from /proc, so
// proc.pname / proc.aname work for any ancestor. Bounded: the oldest entries are evicted
// first when it is full (exit events, which reap precisely, come with the full sensor).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "detector/event/event.h"
#include "detector/sensor/exec_record.h"

namespace riposte::detector {

class ProcessTable final : public ProcessLookup {
 public:
  explicit ProcessTable(size_t max_entries = 65536, std::string proc_root = "/proc");

  // Replaces the entry for rec.pid with the image it just exec'd.
  ProcessInfo* on_exec(const ExecRecord& rec, uint64_t wall_ns,
                             std::shared_ptr<const ContainerInfo> container);
  void on_exit(int64_t pid);

  // Known entry, or one read from /proc (cached); null when the process is gone.
  const ProcessInfo* find(int64_t pid) const override;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::unique_ptr<ProcessInfo> info;
    std::list<int64_t>::iterator age;
  };
  ProcessInfo* insert(int64_t pid, std::unique_ptr<ProcessInfo> info) const;
  std::unique_ptr<ProcessInfo> read_proc(int64_t pid) const;

  size_t max_entries_;
  std::string proc_root_;
  // Lookups may fill from /proc, which is a cache fill, not a logical mutation.
  mutable std::unordered_map<int64_t, Entry> entries_;
  mutable std::list<int64_t> ages_;  // oldest first
};

}  // namespace riposte::detector
