// Turns a syscall record into the Event the rules see, and keeps the process's fd table in
// step: an open adds fd.name, a connect fills the socket tuple, a dup copies the old fd, a
// close removes it (after the rules saw it). Paths are made absolute the way Falco shows them
// (relative to the cwd or to the dirfd's directory, "." and ".." folded). Buffers are reused
// between events, so the common case does not allocate.
#pragma once

#include <string>

#include "detector/event/event.h"
#include "detector/sensor/syscall_record.h"
#include "detector/state/fd_table.h"
#include "detector/state/proc_reader.h"

namespace riposte::detector {

class SyscallEvents {
 public:
  // reader: for fds the table does not know (a dup of an fd opened before the detector
  // started and missed by the scan), read from /proc; may be null.
  explicit SyscallEvents(const ProcReader* reader = nullptr) : reader_(reader) {}

  // Fills ev->type, res, args and fd (and updates *fds, proc->cwd). False when the syscall is
  // not one the detector models. ev's views stay valid until the next build().
  bool build(const SyscallRecord& rec, ProcessInfo* proc, FdTable* fds, Event* ev);
  // What must happen after evaluation: a close removes the fd.
  void finish(const SyscallRecord& rec, FdTable* fds);

 private:
  std::string_view resolve(const ProcessInfo& proc, FdTable& fds, std::string_view raw,
                           int64_t dirfd, std::string* out);
  FdInfo* fd_for(FdTable& fds, int64_t num);  // the table's entry, or scratch_
  FdInfo* new_fd(FdTable& fds, int64_t num);  // a fresh entry (or scratch_)
  void open_event(const SyscallRecord& rec, ProcessInfo& proc, FdTable& fds, Event* ev);
  void dup_event(const SyscallRecord& rec, const ProcessInfo& proc, FdTable& fds, Event* ev);
  void socket_event(const SyscallRecord& rec, FdTable& fds, Event* ev);
  void path_event(const SyscallRecord& rec, ProcessInfo& proc, FdTable& fds, Event* ev);

  const ProcReader* reader_;
  std::string path_, path2_, data_;  // the event's normalized paths / built strings
  FdInfo scratch_;                   // an fd the table cannot hold or does not know
  FdInfo copy_;                      // dup source, copied before the table may move
};

}  // namespace riposte::detector
