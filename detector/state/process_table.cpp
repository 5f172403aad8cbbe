#include "detector/state/process_table.h"

#include <time.h>

namespace riposte::detector {
namespace {

constexpr int64_t kMissingTtlMs = 1000;
constexpr size_t kMaxMissing = 4096;

int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace

ProcessTable::ProcessTable(size_t max_entries, const ProcReader* reader, Enricher enrich)
    : max_entries_(max_entries), reader_(reader), enrich_(std::move(enrich)) {}

ProcessTable::Entry* ProcessTable::insert(int64_t pid, std::unique_ptr<ProcessInfo> info,
                                          std::shared_ptr<FdTable> fds) {
  ++version_;
  if (auto it = entries_.find(pid); it != entries_.end()) {
    ages_.erase(it->second.age);
    entries_.erase(it);
  }
  while (entries_.size() >= max_entries_ && !ages_.empty()) {
    entries_.erase(ages_.front());
    ages_.pop_front();
  }
  missing_.erase(pid);
  ages_.push_back(pid);
  Entry e{std::move(info), fds ? std::move(fds) : std::make_shared<FdTable>(), false,
          std::prev(ages_.end())};
  return &entries_.insert_or_assign(pid, std::move(e)).first->second;
}

ProcessTable::Entry* ProcessTable::load(int64_t pid) {
  if (reader_ == nullptr || pid <= 0) return nullptr;
  if (auto m = missing_.find(pid); m != missing_.end()) {
    if (now_ms() - m->second < kMissingTtlMs) return nullptr;
    missing_.erase(m);
  }
  ProcSnapshot snap = reader_->read_process(pid);
  if (!snap.info) {
    if (missing_.size() >= kMaxMissing) missing_.clear();
    missing_.emplace(pid, now_ms());
    return nullptr;
  }
  if (enrich_) enrich_(snap.info.get(), snap);
  return insert(pid, std::move(snap.info), nullptr);
}

ProcessInfo* ProcessTable::on_exec(const ExecRecord& rec, uint64_t wall_ns,
                                   std::shared_ptr<const ContainerInfo> container) {
  auto p = std::make_unique<ProcessInfo>();
  p->pid = rec.pid;
  p->tid = rec.tid;
  p->ppid = rec.ppid;
  p->vpid = rec.vpid;
  p->vtid = rec.vtid;
  p->sid = rec.sid;
  p->pgid = rec.vpgid;
  p->uid = rec.uid;
  p->gid = rec.gid;
  p->loginuid = rec.loginuid;
  p->tty = rec.tty;
  p->name = rec.comm;
  p->exepath = rec.exe_path.empty() ? rec.filename : rec.exe_path;
  p->exe = rec.argv.empty() ? rec.filename : rec.argv[0];
  if (rec.argv.size() > 1) p->args.assign(rec.argv.begin() + 1, rec.argv.end());
  p->cwd = rec.cwd;
  p->start_ns = wall_ns;
  p->cap_effective = rec.cap_effective;
  p->cap_permitted = rec.cap_permitted;
  p->cap_inheritable = rec.cap_inheritable;
  p->exe_upper_layer = rec.exe_upper_layer;
  p->exe_from_memfd = rec.exe_from_memfd;
  p->exe_writable = rec.exe_writable;
  p->exe_ino = rec.exe_ino;
  p->exe_ino_ctime_ns = rec.exe_ctime_ns;
  p->exe_ino_mtime_ns = rec.exe_mtime_ns;
  p->container = std::move(container);

  std::shared_ptr<FdTable> fds;
  bool fds_loaded = false;
  if (auto it = entries_.find(rec.pid); it != entries_.end()) {
    // Falco's proc.duration counts from the clone, not the exec.
    if (it->second.info->start_ns != 0) p->start_ns = it->second.info->start_ns;
    fds = it->second.fds;
    fds_loaded = it->second.fds_loaded;
    fds->erase_cloexec();
  }
  Entry* e = insert(rec.pid, std::move(p), std::move(fds));
  e->fds_loaded = fds_loaded;
  return e->info.get();
}

ProcessInfo* ProcessTable::on_fork(const ForkRecord& rec, uint64_t wall_ns) {
  Entry* parent = nullptr;
  if (auto it = entries_.find(rec.ppid); it != entries_.end()) parent = &it->second;
  else parent = load(rec.ppid);
  if (parent == nullptr) {
    Entry* e = load(rec.pid);
    return e ? e->info.get() : nullptr;
  }
  if (!parent->fds_loaded && reader_ != nullptr) {
    // The parent predates us: take its fds from /proc now, while it is surely alive, so
    // this child and every later one inherit a complete table instead of each reading
    // /proc on its first syscall.
    parent->fds_loaded = true;
    if (parent->fds->size() == 0) reader_->read_fds(rec.ppid, parent->fds.get());
  }
  auto p = std::make_unique<ProcessInfo>(*parent->info);
  p->pid = p->tid = rec.pid;
  p->vpid = p->vtid = rec.vpid;
  p->ppid = rec.ppid;
  p->start_ns = wall_ns;
  auto fds = rec.shares_files ? parent->fds : std::make_shared<FdTable>(*parent->fds);
  const bool loaded = parent->fds_loaded;
  Entry* e = insert(rec.pid, std::move(p), std::move(fds));
  e->fds_loaded = loaded;
  return e->info.get();
}

void ProcessTable::on_exit(int64_t pid) {
  if (auto it = entries_.find(pid); it != entries_.end()) {
    ++version_;
    ages_.erase(it->second.age);
    entries_.erase(it);
  }
}

ProcessInfo* ProcessTable::get(int64_t pid) {
  Entry* e = nullptr;
  if (auto it = entries_.find(pid); it != entries_.end()) e = &it->second;
  else e = load(pid);
  if (e == nullptr) return nullptr;
  if (!e->fds_loaded && reader_ != nullptr) {
    // Known from /proc or a fork record without its fds: take them from /proc once.
    e->fds_loaded = true;
    if (e->fds->size() == 0) reader_->read_fds(pid, e->fds.get());
  }
  return e->info.get();
}

FdTable* ProcessTable::fds(int64_t pid) {
  auto it = entries_.find(pid);
  return it == entries_.end() ? nullptr : it->second.fds.get();
}

const ProcessInfo* ProcessTable::find(int64_t pid) {
  if (pid <= 0) return nullptr;
  if (auto it = entries_.find(pid); it != entries_.end()) return it->second.info.get();
  Entry* e = load(pid);
  return e ? e->info.get() : nullptr;
}

const ProcessInfo* ProcessTable::Lookups::find(int64_t pid) const {
  if (pid <= 0) return nullptr;
  auto it = table_->entries_.find(pid);
  return it == table_->entries_.end() ? nullptr : it->second.info.get();
}

bool ProcessTable::prepare(int64_t pid) {
  auto it = entries_.find(pid);
  if (it == entries_.end() || it->second.prepared == version_) return false;
  const uint64_t start = version_;
  // Copies: a load below may evict the entry.
  const ProcessInfo& p = *it->second.info;
  const int64_t sid = p.sid, pgid = p.pgid;
  int64_t ppid = p.ppid == p.pid ? 0 : p.ppid;
  bool complete = true;
  // The walk the rules make (rules/fields.cpp ancestor()): parents while ppid > 0 and not the
  // process itself, then the session and process-group leaders.
  for (int depth = 1; depth < kMaxAncestry && ppid > 0; ++depth) {
    const ProcessInfo* a = find(ppid);
    if (a == nullptr) {
      complete = false;
      break;
    }
    ppid = a->ppid == a->pid ? 0 : a->ppid;
  }
  for (int64_t leader : {sid, pgid}) {
    if (leader != pid && leader > 0 && find(leader) == nullptr) complete = false;
  }
  if (version_ != start) return true;
  if (complete) it->second.prepared = version_;
  return false;
}

size_t ProcessTable::scan() {
  if (reader_ == nullptr) return 0;
  reader_->reset_socket_cache();
  size_t n = 0;
  for (int64_t pid : reader_->list_pids()) {
    if (entries_.count(pid) != 0) continue;
    if (get(pid) != nullptr) ++n;
  }
  return n;
}

}  // namespace riposte::detector
