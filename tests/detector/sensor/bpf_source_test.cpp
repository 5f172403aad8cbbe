// Real eBPF on real syscalls (needs root): the programs in bpf/ must report what user space
// relies on — exec with resolved exe/cwd, tty, cgroups, overlayfs upper layer and memfd
// flags; fork and exit of processes; syscalls the interest map selects, with paths (relative
// ones resolved), results and socket tuples — and nothing the interest map leaves out.
// Workloads run in forked children: the sensor ignores the process that loaded it.
#include "detector/sensor/bpf_source.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "detector/container/cgroup.h"
#include "detector/event/syscall_events.h"
#include "detector/sensor/syscall_table.h"
#include "tests/support/test_util.h"

namespace riposte::detector {
namespace {

namespace fs = std::filesystem;

const std::string kId = "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf";
const std::string kUid = "5e1f7c2a-1d3b-4c5d-8e9f-0a1b2c3d4e5f";

// A syscall record with its strings copied (the ring buffer's are gone after the callback).
struct Syscall {
  SyscallRecord rec;
  std::string str1, str2;
};

class Recorder : public RecordHandler {
 public:
  void on_exec(const ExecRecord& r) override { execs.push_back(r); }
  void on_fork(const ForkRecord& r) override { forks.push_back(r); }
  void on_exit(const ExitRecord& r) override { exits.push_back(r); }
  void on_syscall(const SyscallRecord& r) override {
    Syscall s{r, std::string(r.str1), std::string(r.str2)};
    s.rec.str1 = s.rec.str2 = {};
    syscalls.push_back(std::move(s));
  }
  std::vector<ExecRecord> execs;
  std::vector<ForkRecord> forks;
  std::vector<ExitRecord> exits;
  std::vector<Syscall> syscalls;
};

std::string source_dir() {
  const char* d = std::getenv("RIPOSTE_SOURCE_DIR");
  return d ? d : ".";
}

// Runs fn in a child process and waits for it; returns the child's pid.
pid_t in_child(const std::function<void()>& fn) {
  pid_t pid = fork();
  if (pid == 0) {
    fn();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return pid;
}

// A child that runs fn (its exit code if fn fails, 0 if fine) and then stays alive, its fds
// kept, until release(): the detector reads /proc/<pid>/fd for entries it must rebuild.
class HeldChild {
 public:
  explicit HeldChild(const std::function<int()>& fn) {
    if (pipe(ready_) != 0 || pipe(go_) != 0) return;
    pid = fork();
    if (pid == 0) {
      if (const int rc = fn(); rc != 0) _exit(rc);
      char c = 0;
      if (write(ready_[1], &c, 1) != 1 || read(go_[0], &c, 1) != 1) _exit(100);
      _exit(0);
    }
    char c = 0;
    if (read(ready_[0], &c, 1) != 1) ready_ok_ = false;
  }
  // The child's wait status.
  int release() {
    char c = 0;
    if (write(go_[1], &c, 1) != 1) return -1;
    int status = 0;
    waitpid(pid, &status, 0);
    for (int fd : {ready_[0], ready_[1], go_[0], go_[1]}) close(fd);
    return ready_ok_ ? status : -1;
  }
  pid_t pid = -1;

 private:
  int ready_[2] = {-1, -1}, go_[2] = {-1, -1};
  bool ready_ok_ = true;
};

// The detector's fd and path logic over what the kernel reported of one process.
struct Replay {
  void run(const std::vector<Syscall>& syscalls, pid_t pid) {
    proc.pid = pid;
    proc.cwd = "/";
    for (const auto& s : syscalls) {
      if (s.rec.pid != static_cast<uint32_t>(pid)) continue;
      SyscallRecord r = s.rec;
      r.str1 = s.str1;
      r.str2 = s.str2;
      events.build(r, &proc, &fds, &ev);
      events.finish(r, &fds);
    }
  }
  ProcReader reader{"/proc"};
  Counter refreshed;
  SyscallEvents events{&reader, &refreshed};
  ProcessInfo proc;
  FdTable fds;
  Event ev;  // the last one
};

class BpfSourceTest : public ::testing::Test {
 protected:
  static BpfSourceOptions options() {
    BpfSourceOptions o;
    o.ring_bytes = 4u << 20;
    o.interest = interest_map({EventType::kOpenat, EventType::kOpen, EventType::kConnect,
                               EventType::kSocket, EventType::kMemfdCreate, EventType::kChdir},
                              false);
    return o;
  }
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "this test loads eBPF programs: run it as root";
    Status st = source_.start(&rec_);
    ASSERT_TRUE(st.ok()) << st.error();
  }
  // Polls until pred holds (or ~10 s of polling pass).
  template <typename Pred>
  bool wait_for(Pred pred) {
    for (int i = 0; i < 100; ++i) {
      EXPECT_TRUE(source_.poll(100).ok());
      if (pred()) return true;
    }
    return false;
  }
  const Syscall* syscall_of(pid_t pid, long nr) {
    const Syscall* found = nullptr;
    wait_for([&] {
      for (const auto& s : rec_.syscalls) {
        if (s.rec.pid == static_cast<uint32_t>(pid) && s.rec.nr == static_cast<uint32_t>(nr)) found = &s;
      }
      return found != nullptr;
    });
    return found;
  }
  const ExecRecord* exec_of(const std::function<bool(const ExecRecord&)>& pred) {
    const ExecRecord* found = nullptr;
    wait_for([&] {
      for (const auto& r : rec_.execs) {
        if (pred(r)) found = &r;
      }
      return found != nullptr;
    });
    return found;
  }

  BpfSource source_{options()};
  Recorder rec_;
};

// pod-shell.sh, not the real node: this test runs without a cluster and checks the kernel
// records themselves (cgroup path, tty, paths inside a chrooted mount namespace, vpid); the
// same fields from real containers are asserted by sensor_e2e_test and real_node_e2e_test.
TEST_F(BpfSourceTest, ShellInPodCgroupCarriesContainerTtyAndPaths) {
  const std::string marker = "riposte-bpf-test-" + std::to_string(getpid());
  const std::string cmd = "RIPOSTE_LOCAL_DIR=" + std::string(::testing::TempDir()) + "riposte-bpf " +
                          source_dir() + "/deploy/local/pod-shell.sh --tty --pod-uid " + kUid +
                          " --container-id " + kId + " -- /bin/sh -c 'cd /etc && echo " + marker +
                          "' >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const ExecRecord* r = exec_of([&](const ExecRecord& e) {
    return e.comm == "sh" && e.argv.size() == 3 && e.argv[2].find(marker) != std::string::npos;
  });
  ASSERT_NE(r, nullptr) << "no exec record for the shell in the pod cgroup";
  EXPECT_EQ(r->filename, "/bin/sh");
  EXPECT_EQ(r->exe_path, "/bin/busybox") << "resolved within the container's root";
  EXPECT_EQ(r->cwd, "/");
  EXPECT_NE(r->tty, 0u) << "script(1) gave it a controlling terminal";
  EXPECT_EQ(r->vpid, 1u) << "first process of its own pid namespace";
  EXPECT_EQ(r->uid, 0u);
  EXPECT_NE(r->cap_effective, 0u);
  EXPECT_NE(r->pidns_init_start_boot_ns, 0u);
  EXPECT_FALSE(r->exe_upper_layer);
  EXPECT_FALSE(r->exe_from_memfd);
  auto c = parse_container_cgroup(r->cgroup_v2);
  ASSERT_TRUE(c.has_value()) << r->cgroup_v2;
  EXPECT_EQ(c->id, kId);
  EXPECT_EQ(c->pod_uid, kUid);
}

TEST_F(BpfSourceTest, HostProcessIsNotInAContainer) {
  const std::string marker = "riposte-host-" + std::to_string(getpid());
  ASSERT_EQ(std::system(("/bin/echo " + marker + " >/dev/null").c_str()), 0);
  const ExecRecord* r = exec_of([&](const ExecRecord& e) {
    return e.comm == "echo" && e.argv.size() == 2 && e.argv[1] == marker;
  });
  ASSERT_NE(r, nullptr);
  EXPECT_FALSE(parse_container_cgroup(r->cgroup_v2).has_value()) << r->cgroup_v2;
  EXPECT_EQ(r->tty, 0u);
  EXPECT_EQ(r->exe_path, fs::canonical("/bin/echo").string()) << "symlinks resolved";
  EXPECT_EQ(source_.kernel_drops(), 0u);
}

TEST_F(BpfSourceTest, ForkAndExitAreReportedForProcesses) {
  pid_t child = in_child([] {});
  ASSERT_TRUE(wait_for([&] {
    for (const auto& e : rec_.exits) {
      if (e.pid == static_cast<uint32_t>(child)) return true;
    }
    return false;
  }));
  bool forked = false;
  for (const auto& f : rec_.forks) {
    if (f.pid == static_cast<uint32_t>(child)) {
      forked = true;
      EXPECT_EQ(f.ppid, static_cast<uint32_t>(getpid()));
      EXPECT_FALSE(f.shares_files);
    }
  }
  EXPECT_TRUE(forked);
}

// evt.cpu: every record says which CPU the kernel made it on. A child pinned to each CPU it
// may use in turn opens a file; its openat and its exit carry that CPU.
TEST_F(BpfSourceTest, RecordsCarryTheCpuTheyWereMadeOn) {
  cpu_set_t allowed;
  ASSERT_EQ(sched_getaffinity(0, sizeof allowed, &allowed), 0);
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE && cpus.size() < 2; ++c)
    if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  if (cpus.size() < 2) GTEST_SKIP() << "needs two CPUs to tell them apart";
  for (int cpu : cpus) {
    pid_t child = in_child([cpu] {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      if (sched_setaffinity(0, sizeof one, &one) != 0) _exit(1);
      int fd = open("/proc/self/stat", O_RDONLY);
      close(fd);
    });
    const Syscall* s = syscall_of(child, SYS_openat);
    ASSERT_NE(s, nullptr) << "cpu " << cpu;
    EXPECT_EQ(s->rec.cpu, static_cast<uint32_t>(cpu));
    const ExitRecord* ex = nullptr;
    ASSERT_TRUE(wait_for([&] {
      for (const auto& e : rec_.exits)
        if (e.pid == static_cast<uint32_t>(child)) ex = &e;
      return ex != nullptr;
    }));
    EXPECT_EQ(ex->cpu, static_cast<uint32_t>(cpu));
  }
}

TEST_F(BpfSourceTest, OpensCarryPathFlagsResultAndResolvedRelativePaths) {
  testing::TempDir dir;
  const std::string file = dir.write("data.txt", "x");
  pid_t child = in_child([&] {
    int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (chdir(dir.path().c_str()) != 0) _exit(1);
    int rel = openat(AT_FDCWD, "./sub/../data.txt", O_RDONLY);  // no such dir: fails
    rel = openat(AT_FDCWD, "data.txt", O_WRONLY | O_APPEND);
    int missing = open("/nonexistent/riposte", O_RDONLY);
    int dirfd = open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
    missing = openat(dirfd, "nonexistent.txt", O_RDONLY);  // fails: the record has the dirfd
    close(fd);
    close(rel);
    (void)missing;
  });
  std::vector<const Syscall*> opens;
  ASSERT_TRUE(wait_for([&] {
    opens.clear();
    for (const auto& s : rec_.syscalls) {
      if (s.rec.pid == static_cast<uint32_t>(child) &&
          (s.rec.nr == SYS_openat || s.rec.nr == SYS_open) &&
          (s.str1.find("data.txt") != std::string::npos || s.str1.find("nonexistent") != std::string::npos)) {
        opens.push_back(&s);
      }
    }
    return opens.size() >= 5;
  }));
  // glibc's open() is openat(AT_FDCWD, ...)
  EXPECT_EQ(opens[0]->str1, file);
  EXPECT_GE(opens[0]->rec.res, 0);
  EXPECT_FALSE(opens[0]->rec.path_resolved);
  EXPECT_EQ(opens[0]->rec.fd.type, KernelFd::Type::kNone) << "the hot path: only the file's identity";
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(opens[0]->rec.fd.ino, st.st_ino);
  EXPECT_EQ(opens[0]->rec.fd.dev, st.st_dev);
  EXPECT_EQ(opens[0]->rec.fd.num, opens[0]->rec.res);
  EXPECT_TRUE(opens[0]->rec.args[2] & O_CLOEXEC);
  EXPECT_EQ(opens[1]->str1, "./sub/../data.txt");
  EXPECT_EQ(opens[1]->rec.res, -ENOENT);
  EXPECT_TRUE(opens[2]->rec.path_resolved);
  EXPECT_EQ(opens[2]->str1, fs::canonical(file).string());
  EXPECT_EQ(opens[2]->str2, "data.txt");
  EXPECT_EQ(opens[2]->rec.fd.ino, st.st_ino);
  EXPECT_EQ(opens[3]->rec.res, -ENOENT);
  EXPECT_EQ(opens[4]->rec.res, -ENOENT);
  EXPECT_EQ(opens[4]->rec.fd.num, static_cast<int32_t>(opens[4]->rec.args[0])) << "the dirfd";
  EXPECT_EQ(opens[4]->rec.fd.type, KernelFd::Type::kDirectory);
  ASSERT_EQ(stat(dir.path().c_str(), &st), 0);
  EXPECT_EQ(opens[4]->rec.fd.ino, st.st_ino);
  EXPECT_EQ(opens[3]->rec.fd.ino, 0u) << "absolute: no dirfd involved";
  // no rule names close, and the fd table does not need it (the child exited: every record
  // of it has been read)
  for (const auto& s : rec_.syscalls) {
    if (s.rec.pid == static_cast<uint32_t>(child)) {
      EXPECT_NE(s.rec.nr, static_cast<uint32_t>(SYS_close));
    }
  }
  const Syscall* cd = syscall_of(child, SYS_chdir);
  ASSERT_NE(cd, nullptr);
  EXPECT_TRUE(cd->rec.path_resolved);
  EXPECT_EQ(cd->str1, fs::canonical(dir.path()).string());
}

TEST_F(BpfSourceTest, ConnectAndDupCarryTheSocketTuple) {
  int srv = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(srv, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(srv, 4), 0);
  socklen_t len = sizeof addr;
  getsockname(srv, reinterpret_cast<sockaddr*>(&addr), &len);
  const uint16_t port = ntohs(addr.sin_port);
  pid_t child = in_child([&] {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) _exit(1);
    dup2(s, 0);
    mkdir("/tmp/riposte-not-interesting", 0700);
  });
  close(srv);
  const Syscall* c = syscall_of(child, SYS_connect);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->rec.res, 0);
  EXPECT_EQ(c->rec.fd.type, KernelFd::Type::kIpv4);
  EXPECT_EQ(c->rec.fd.l4proto, IPPROTO_TCP);
  EXPECT_EQ(c->rec.fd.rport, port);
  EXPECT_NE(c->rec.fd.lport, 0);
  EXPECT_EQ(c->rec.fd.raddr[0], 127);
  // the local address comes from the kernel's socket, every byte of it
  EXPECT_EQ(std::vector<uint8_t>(c->rec.fd.laddr.begin(), c->rec.fd.laddr.begin() + 4),
            (std::vector<uint8_t>{127, 0, 0, 1}));
  const Syscall* sock = syscall_of(child, SYS_socket);
  ASSERT_NE(sock, nullptr);
  EXPECT_EQ(sock->rec.fd.type, KernelFd::Type::kIpv4);
  const Syscall* d = syscall_of(child, SYS_dup2);
  ASSERT_NE(d, nullptr) << "dup2 is always reported: it changes the fd table";
  EXPECT_EQ(d->rec.res, 0);
  EXPECT_EQ(d->rec.fd.type, KernelFd::Type::kIpv4);
  EXPECT_EQ(d->rec.fd.rport, port);
  EXPECT_EQ(std::vector<uint8_t>(d->rec.fd.raddr.begin(), d->rec.fd.raddr.begin() + 4),
            (std::vector<uint8_t>{127, 0, 0, 1}))
      << "dup2's tuple is all the kernel's";
  for (const auto& s : rec_.syscalls) {
    EXPECT_NE(s.rec.nr, static_cast<uint32_t>(SYS_mkdir)) << "not in the interest map";
    EXPECT_NE(s.rec.pid, static_cast<uint32_t>(getpid())) << "the loader's own syscalls are ignored";
  }
}

TEST_F(BpfSourceTest, DupOfAnFdReusedUnseenCarriesTheNewFilesName) {
  testing::TempDir dir;
  const std::string seen = dir.write("seen.txt", "a"), unseen = dir.path() + "/unseen.txt";
  HeldChild child([&] {
    const int fd = open(seen.c_str(), O_RDONLY);  // openat: reported
    close(fd);                                   // not reported
    if (creat(unseen.c_str(), 0600) != fd) return 3;  // not in the interest map: fd reused unseen
    if (dup(fd) < 0) return 4;                        // reported (fd table state)
    return 0;
  });
  const Syscall* dup_rec = syscall_of(child.pid, SYS_dup);
  // The detector's path from these records: the fd table sees open(seen) = fd, then a dup of
  // fd, and must name the file fd is now.
  Replay replay;
  replay.run(rec_.syscalls, child.pid);
  const int status = child.release();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_NE(dup_rec, nullptr);
  ASSERT_NE(replay.ev.fd, nullptr);
  EXPECT_EQ(replay.ev.type, EventType::kDup);
  EXPECT_EQ(replay.ev.fd->name, fs::canonical(unseen).string());
  EXPECT_EQ(replay.refreshed.value(), 1);
}

TEST_F(BpfSourceTest, ExecFromMemfdIsFlagged) {
  pid_t child = in_child([] {
    int fd = memfd_create("riposte-memfd", 0);
    std::ifstream in("/bin/true", std::ios::binary);
    std::string bin((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (write(fd, bin.data(), bin.size()) != static_cast<ssize_t>(bin.size())) _exit(1);
    char* const argv[] = {const_cast<char*>("memfd-true"), nullptr};
    char* const envp[] = {nullptr};
    ::syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
    _exit(2);
  });
  const ExecRecord* r = exec_of([&](const ExecRecord& e) { return e.pid == static_cast<uint32_t>(child); });
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->exe_from_memfd);
  EXPECT_EQ(r->exe_path, "memfd:riposte-memfd");
  const Syscall* m = syscall_of(child, SYS_memfd_create);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->str1, "riposte-memfd");
}

TEST_F(BpfSourceTest, ExecFromOverlayUpperLayerIsFlagged) {
  testing::TempDir dir;
  for (const char* d : {"lower", "upper", "work", "merged"}) fs::create_directories(dir.path() + "/" + d);
  fs::copy_file("/bin/true", dir.path() + "/lower/lower-true");
  const std::string opts = "lowerdir=" + dir.path() + "/lower,upperdir=" + dir.path() +
                           "/upper,workdir=" + dir.path() + "/work";
  ASSERT_EQ(mount("overlay", (dir.path() + "/merged").c_str(), "overlay", 0, opts.c_str()), 0)
      << std::strerror(errno);
  const std::string merged = dir.path() + "/merged";
  fs::copy_file("/bin/true", merged + "/dropped-true");  // lands in the upper layer
  ASSERT_EQ(std::system((merged + "/lower-true && " + merged + "/dropped-true").c_str()), 0);
  const ExecRecord* lower = exec_of([](const ExecRecord& e) { return e.comm == "lower-true"; });
  const ExecRecord* upper = exec_of([](const ExecRecord& e) { return e.comm == "dropped-true"; });
  umount2(merged.c_str(), MNT_DETACH);
  ASSERT_NE(lower, nullptr);
  ASSERT_NE(upper, nullptr);
  EXPECT_FALSE(lower->exe_upper_layer);
  EXPECT_TRUE(upper->exe_upper_layer);
  EXPECT_EQ(upper->exe_path, merged + "/dropped-true");
  EXPECT_NE(upper->exe_ino, 0u);
  EXPECT_NE(upper->exe_mtime_ns, 0u);
}

TEST_F(BpfSourceTest, SyscallsAreTakenByFexitWhereTheKernelAllowsIt) {
  // The tests above ran on the hook chosen here. Kernels (or sandboxes) that refuse BPF
  // trampolines get the tracepoint; say which one this run tested.
  const bool fexit = BpfSource::fexit_available();
  RecordProperty("syscall_hook", to_string(source_.syscall_hook()));
  std::printf("syscall hook on this kernel: %s\n", to_string(source_.syscall_hook()));
  EXPECT_EQ(source_.syscall_hook(), fexit ? SyscallHook::kFexit : SyscallHook::kTracepoint);
}

// A source with its own interest map and hook, for the choice of hook.
class HookTest : public ::testing::Test {
 protected:
  void start(std::vector<EventType> types, SyscallHook hook, BpfSourceOptions::OpenClass open_read = {}) {
    ASSERT_EQ(geteuid(), 0u) << "this test loads eBPF programs: run it as root";
    BpfSourceOptions o;
    o.ring_bytes = 1u << 20;
    o.interest = interest_map(types, false);
    o.syscall_hook = hook;
    o.open_read = std::move(open_read);
    source_ = std::make_unique<BpfSource>(o);
    Status st = source_->start(&rec_);
    ASSERT_TRUE(st.ok()) << st.error();
  }
  // The records of `pid`'s calls `nr`, once at least one arrived (or ~10 s of polling).
  std::vector<const Syscall*> calls(pid_t pid, long nr) {
    std::vector<const Syscall*> found;
    for (int i = 0; i < 100 && found.empty(); ++i) {
      EXPECT_TRUE(source_->poll(100).ok());
      for (const auto& s : rec_.syscalls) {
        if (s.rec.pid == static_cast<uint32_t>(pid) && s.rec.nr == static_cast<uint32_t>(nr)) found.push_back(&s);
      }
    }
    return found;
  }
  std::unique_ptr<BpfSource> source_;
  Recorder rec_;
};

TEST_F(HookTest, TracepointHookReportsTheSameCalls) {
  start({EventType::kOpenat}, SyscallHook::kTracepoint);
  ASSERT_EQ(source_->syscall_hook(), SyscallHook::kTracepoint);
  pid_t child = in_child([] {
    close(open("/dev/null", O_RDONLY));
    mkdir("/tmp/riposte-not-interesting", 0700);
  });
  auto opens = calls(child, SYS_openat);
  ASSERT_FALSE(opens.empty());
  EXPECT_EQ(opens.back()->str1, "/dev/null");
  EXPECT_GE(opens.back()->rec.res, 0);
  for (const auto& s : rec_.syscalls) {
    EXPECT_NE(s.rec.nr, static_cast<uint32_t>(SYS_mkdir));
    EXPECT_NE(s.rec.nr, static_cast<uint32_t>(SYS_close)) << "no rule names it";
  }
}

TEST_F(HookTest, CloneRulesFallBackToTheTracepointWhichSeesTheChildsReturn) {
  start({EventType::kClone}, SyscallHook::kAuto);
  ASSERT_EQ(source_->syscall_hook(), SyscallHook::kTracepoint);
  pid_t child = in_child([] {});  // glibc's fork() is clone()
  auto clones = calls(child, SYS_clone);
  ASSERT_FALSE(clones.empty()) << "the child's own return from clone";
  EXPECT_EQ(clones.back()->rec.res, 0);
}

TEST_F(HookTest, RequiredFexitHookIsUsedOrRefused) {
  if (!BpfSource::fexit_available()) {
    ASSERT_EQ(geteuid(), 0u) << "this test loads eBPF programs: run it as root";
    BpfSourceOptions o;
    o.ring_bytes = 1u << 20;
    o.interest = interest_map({EventType::kOpenat}, false);
    o.syscall_hook = SyscallHook::kFexit;
    BpfSource source(o);
    EXPECT_FALSE(source.start(&rec_).ok()) << "no silent fallback when fexit is required";
    return;
  }
  start({EventType::kOpenat}, SyscallHook::kFexit);
  EXPECT_EQ(source_->syscall_hook(), SyscallHook::kFexit);
  pid_t child = in_child([] { close(open("/dev/null", O_RDONLY)); });
  auto opens = calls(child, SYS_openat);
  ASSERT_FALSE(opens.empty());
  EXPECT_EQ(opens.back()->str1, "/dev/null");
}

// The open filter: read-only opens outside the rules' prefixes cost no record; writes (not
// filtered here) and paths whose fd.name is not their raw bytes always come through.
TEST_F(HookTest, OpenFilterDropsReadOnlyOpensNoRuleCanMatch) {
  start({EventType::kOpenat, EventType::kOpen}, SyscallHook::kAuto, {.filter = true, .prefixes = {"/etc/host"}});
  pid_t child = in_child([] {
    close(open("/dev/null", O_RDONLY));          // dropped
    close(open("/etc/hostname", O_RDONLY));      // a rule's prefix
    close(open("/dev/null", O_WRONLY));          // writes are not filtered
    close(open("/dev/../etc/hostname", O_RDONLY));  // irregular: fd.name is /etc/hostname
    close(open("/etc//hostname", O_RDONLY));     // irregular
    if (chdir("/dev") == 0) close(openat(AT_FDCWD, "null", O_RDONLY));  // relative
    close(open("/etc/hosts", O_RDONLY | O_CLOEXEC));  // the last one
  });
  std::vector<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(source_->poll(100).ok());
    seen.clear();
    for (const auto& s : rec_.syscalls) {
      if (s.rec.pid != static_cast<uint32_t>(child) || (s.rec.nr != SYS_openat && s.rec.nr != SYS_open)) continue;
      const bool write = (s.rec.args[2] & O_ACCMODE) != O_RDONLY;
      seen.push_back((s.rec.path_resolved ? s.str2 : s.str1) + (write ? " (w)" : ""));
    }
    if (!seen.empty() && seen.back() == "/etc/hosts") break;
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("/etc/hostname", "/dev/null (w)", "/dev/../etc/hostname",
                                           "/etc//hostname", "null", "/etc/hosts"));
}

// renameat(a, "x", b, "y") where b was reused unseen (here: reopened on another directory by
// an open the filter dropped): the record carries b's identity too, so the target is named in
// the directory b is now.
TEST_F(HookTest, RenameatCarriesTheIdentityOfItsSecondDirfd) {
  testing::TempDir dir;
  const std::string seen = dir.path() + "/seen", other = dir.path() + "/other";
  fs::create_directories(seen);
  fs::create_directories(other);
  dir.write("seen/x", "a");
  start({EventType::kOpenat, EventType::kRenameat}, SyscallHook::kAuto,
        {.filter = true, .prefixes = {seen}});
  HeldChild child([&] {
    const int a = open(seen.c_str(), O_RDONLY | O_DIRECTORY);  // reported: the rules' prefix
    const int b = open(seen.c_str(), O_RDONLY | O_DIRECTORY);  // reported
    close(b);                                                  // not reported
    if (open(other.c_str(), O_RDONLY | O_DIRECTORY) != b) return 3;  // dropped by the filter
    return renameat(a, "x", b, "y") == 0 ? 0 : 4;
  });
  auto renames = calls(child.pid, SYS_renameat);
  Replay replay;
  replay.run(rec_.syscalls, child.pid);
  const int status = child.release();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_EQ(renames.size(), 1u);
  EXPECT_EQ(replay.ev.type, EventType::kRenameat);
  EXPECT_EQ(replay.ev.args.path, fs::canonical(seen).string() + "/x");
  EXPECT_EQ(replay.ev.args.path2, fs::canonical(other).string() + "/y");
  EXPECT_EQ(replay.refreshed.value(), 1) << "only the stale entry was rebuilt";
}

}  // namespace
}  // namespace riposte::detector
