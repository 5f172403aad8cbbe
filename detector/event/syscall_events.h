// Turns a syscall record into the Event the rules see (the record -> event stage): the
// per-syscall decoding of arguments, with the fd table kept in step through its transitions
// (detector/state/fd_table.h): an open adds fd.name, a connect fills the socket tuple, a dup
// copies the old fd, a close removes it (after the rules saw it). An entry the kernel's view
// says is stale is rebuilt from that view, its name read from /proc (ProcReader). Paths are
// made absolute the way Falco shows them (relative to the cwd or to the dirfd's directory, "."
// and ".." folded). Buffers are reused between events, so the common case does not allocate.
// Adding a syscall: its row in bpf/syscalls.h, then its case in build().
#pragma once

#include <string>

#include "common/metrics.h"
#include "detector/event/event.h"
#include "detector/sensor/syscall_record.h"
#include "detector/state/fd_table.h"
#include "detector/state/proc_reader.h"

namespace riposte::detector {

class SyscallEvents {
 public:
  // reader: for the names of fds the table does not know or knows wrong (opened before the
  // detector started and missed by the scan, reused after a close), read from /proc; may be
  // null. refreshed: counts the entries rebuilt so; may be null.
  explicit SyscallEvents(const ProcReader* reader = nullptr, Counter* refreshed = nullptr)
      : reader_(reader), refreshed_(refreshed) {}

  // Fills ev->type, res, args and fd (and updates *fds, proc->cwd). False when the syscall is
  // not one the detector models. ev's views stay valid until the next build().
  bool build(const SyscallRecord& rec, ProcessInfo* proc, FdTable* fds, Event* ev);
  // What must happen after evaluation: a close removes the fd.
  void finish(const SyscallRecord& rec, FdTable* fds);

 private:
  std::string_view resolve(const SyscallRecord& rec, const ProcessInfo& proc, FdTable& fds,
                           std::string_view raw, int64_t dirfd, std::string* out);
  FdInfo* fd_for(FdTable& fds, int64_t num);  // the table's entry, or scratch_
  // fd_for(), checked against the record's view of fd `num` when it has one: an entry for
  // another file, or none, is rebuilt from that view.
  FdInfo* checked_fd(const SyscallRecord& rec, FdTable& fds, int64_t num);
  // A fresh entry (or scratch_), with the file identity the record has for it.
  FdInfo* new_fd(FdTable& fds, const SyscallRecord& rec, int64_t num);
  // *fd := what the kernel says (k), the name of a file from /proc/<pid>/fd/<link_num>.
  void refresh(FdInfo* fd, const KernelFd& k, int64_t pid, int64_t link_num);
  void open_event(const SyscallRecord& rec, ProcessInfo& proc, FdTable& fds, Event* ev);
  void dup_event(const SyscallRecord& rec, FdTable& fds, Event* ev);
  void socket_event(const SyscallRecord& rec, FdTable& fds, Event* ev);
  void path_event(const SyscallRecord& rec, ProcessInfo& proc, FdTable& fds, Event* ev);

  const ProcReader* reader_;
  Counter* refreshed_;
  std::string path_, path2_, data_;  // the event's normalized paths / built strings
  FdInfo scratch_;                   // an fd the table cannot hold or does not know
  FdInfo copy_;                      // dup source, copied before the table may move
};

}  // namespace riposte::detector
