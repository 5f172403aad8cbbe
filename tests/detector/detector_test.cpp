// The detector's user-space event path with fake kernel records (no eBPF): fork/exec/exit
// keep the process tree, syscall records become Falco events with fd.name, socket tuples,
// resolved paths and container/pod context, and the rules' alerts carry them.
#include "detector/detector.h"

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "detector/rules_reload.h"
#include "tests/detector/syscall_record_builder.h"

namespace riposte::detector {
namespace {

const std::string kId = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";
const std::string kUid = "8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const std::string kCgroup = "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" +
                            std::string("8a1b2c3d_4e5f_4a6b_8c7d_9e0f1a2b3c4d") +
                            ".slice/cri-containerd-" + kId + ".scope";

const char* kRules = R"(
- macro: container
  condition: container.id != host
- rule: Shadow read in container
  desc: t
  condition: evt.type in (open, openat) and evt.is_open_read=true and fd.num >= 0 and fd.name=/etc/shadow and container
  output: shadow (file=%fd.name raw=%fd.nameraw proc=%proc.name parent=%proc.pname pod=%k8s.pod.name ns=%k8s.ns.name user=%user.name)
  priority: WARNING
- rule: Reverse shell dup
  desc: t
  condition: evt.type in (dup, dup2, dup3) and evt.rawres in (0, 1, 2) and fd.type in (ipv4, ipv6)
  output: dup (fd=%fd.name proc=%proc.name)
  priority: CRITICAL
- rule: Outbound connect
  desc: t
  condition: evt.type = connect and fd.sport = 4444
  output: connect (fd=%fd.name sip=%fd.sip proto=%fd.l4proto)
  priority: NOTICE
- rule: Write below bin
  desc: t
  condition: evt.type in (openat) and evt.is_open_write=true and fd.directory = /usr/bin
  output: write (file=%fd.name)
  priority: ERROR
- rule: Rename
  desc: t
  condition: evt.type = renameat2 and evt.arg.newpath startswith /etc/
  output: rename (old=%evt.arg.oldpath new=%evt.arg.newpath)
  priority: INFO
- rule: On cpu 1
  desc: t
  condition: evt.type in (execve, close) and evt.cpu = 1
  output: cpu (cpu=%evt.cpu type=%evt.type)
  priority: INFO
- rule: Exec in pod
  desc: t
  condition: evt.type = execve and k8s.pod.name = web-1
  output: exec (proc=%proc.name pod=%k8s.pod.name container=%container.id)
  priority: NOTICE
- rule: As www-data
  desc: t
  condition: evt.type in (setuid, openat) and user.uid = 33
  output: www (uid=%user.uid gid=%group.gid type=%evt.type)
  priority: NOTICE
- rule: Inbound
  desc: t
  condition: evt.type in (listen, bind) and fd.ip != "0.0.0.0" and fd.net != "127.0.0.0/8"
  output: inbound (name=%fd.name sip=%fd.sip sport=%fd.sport cip=%fd.cip lport=%fd.lport type=%evt.type)
  priority: NOTICE
- rule: Marked env
  desc: t
  condition: evt.type = execve and proc.env[MARK] = yes
  output: env (mark=%proc.env[MARK] env=%proc.env)
  priority: NOTICE
)";

class FakePods : public PodSource {
 public:
  std::optional<PodRecord> lookup(const std::string& uid) override {
    if (uid != kUid) return std::nullopt;
    auto pod = std::make_shared<PodInfo>();
    pod->uid = uid;
    pod->name = "web-1";
    pod->ns = "shop";
    return PodRecord{pod, {{kId, "httpd", "httpd:2.4", false}}};
  }
};

class Capture : public AlertSink {
 public:
  Status emit(const Alert& a) override {
    alerts.push_back(a);
    return {};
  }
  std::vector<Alert> alerts;
};

rules::LoadOptions all_matches() {
  rules::LoadOptions o;
  o.rule_matching = rules::RuleMatching::kAll;
  return o;
}

class DetectorTest : public ::testing::Test {
 protected:
  DetectorTest()
      : loaded_(rules::load_rules_from_string(kRules, all_matches())),
        containers_(&pods_),
        users_("/nonexistent"),
        enricher_(&containers_, &users_, 0),
        procs_(1024),
        det_(loaded_.ruleset.get(), &enricher_, &procs_, nullptr, &sink_, &registry_, "node-a", 0) {}

  void SetUp() override {
    ASSERT_TRUE(loaded_.ok()) << (loaded_.diagnostics.empty() ? "" : loaded_.diagnostics[0].str());
    // bash (pid 100) in the pod's container; it forks 101 which execs cat
    det_.on_exec(exec(100, 1, "bash", {"bash"}, "/"));
  }

  static ExecRecord exec(uint32_t pid, uint32_t ppid, const std::string& comm,
                         std::vector<std::string> argv, const std::string& cwd) {
    ExecRecord r;
    r.pid = r.tid = pid;
    r.vpid = r.vtid = pid - 99;
    r.ppid = ppid;
    r.comm = comm;
    r.filename = r.exe_path = "/bin/" + comm;
    r.argv = std::move(argv);
    r.cwd = cwd;
    r.cgroup_v2 = kCgroup;
    return r;
  }
  void fork_exec(uint32_t pid, uint32_t ppid, const std::string& comm, std::vector<std::string> argv,
                 const std::string& cwd = "/") {
    ForkRecord f;
    f.pid = f.tid = pid;
    f.ppid = f.parent_tid = ppid;
    det_.on_fork(f);
    det_.on_exec(exec(pid, ppid, comm, std::move(argv), cwd));
  }
  static SyscallRecord sc(uint32_t pid, long nr, int64_t res, const std::vector<uint64_t>& args) {
    return testing::syscall_record(pid, nr, res, args);
  }
  // The latest alert of that rule.
  const Alert* find(const std::string& rule) const {
    for (auto it = sink_.alerts.rbegin(); it != sink_.alerts.rend(); ++it) {
      if (it->rule == rule) return &*it;
    }
    return nullptr;
  }
  static std::string field(const Alert& a, const char* key) {
    std::string v;
    a.field_string(key, &v);
    return v;
  }

  FakePods pods_;
  rules::LoadResult loaded_;
  ContainerResolver containers_;
  UserResolver users_;
  ProcessEnricher enricher_;
  ProcessTable procs_;
  Capture sink_;
  Registry registry_;
  Detector det_;
};

TEST_F(DetectorTest, ExecCarriesPodContext) {
  fork_exec(101, 100, "cat", {"cat", "/etc/shadow"});
  const Alert* a = find("Exec in pod");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(field(*a, "container.id"), kId.substr(0, 12));
  EXPECT_EQ(field(*a, "proc.name"), "cat");
}

// libsinsp parses a setuid before the rules see it: the call's own event has the new user.
TEST_F(DetectorTest, SuccessfulSetuidChangesTheUserFromItsOwnEventOn) {
  fork_exec(101, 100, "su", {"su"});
  SyscallRecord failed = sc(101, SYS_setuid, -EPERM, {33});  // reported for a rule: no creds
  det_.on_syscall(failed);
  EXPECT_EQ(find("As www-data"), nullptr);
  SyscallRecord r = sc(101, SYS_setuid, 0, {33});
  r.creds = Credentials{.uid = 33, .gid = 33};
  det_.on_syscall(r);
  const Alert* a = find("As www-data");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(field(*a, "evt.type"), "setuid");
  EXPECT_EQ(field(*a, "group.gid"), "33");
  SyscallRecord open = sc(101, SYS_openat, 3, {static_cast<uint64_t>(AT_FDCWD), 0, O_RDONLY, 0});
  open.str1 = "/tmp/x";
  det_.on_syscall(open);
  EXPECT_EQ(find("As www-data")->output_fields.value("evt.type", ""), "openat");
}

// The environment record comes just before its exec record; it is that exec's proc.env.
TEST_F(DetectorTest, EnvironmentRecordGoesToTheExecThatFollows) {
  ForkRecord f;
  f.pid = f.tid = 101;
  f.ppid = f.parent_tid = 100;
  det_.on_fork(f);
  EnvRecord env;
  env.pid = 101;
  env.env = std::string_view("A=1\0MARK=yes\0", 13);
  det_.on_env(env);
  det_.on_exec(exec(101, 100, "env", {"env"}, "/"));
  const Alert* a = find("Marked env");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(field(*a, "proc.env"), "A=1 MARK=yes");
  sink_.alerts.clear();
  det_.on_exec(exec(101, 100, "env", {"env"}, "/"));  // no record: no environment
  EXPECT_EQ(find("Marked env"), nullptr);
}

TEST_F(DetectorTest, RelativeOpenIsResolvedAgainstTheCwd) {
  fork_exec(101, 100, "cat", {"cat", "../etc/shadow"}, "/tmp");
  SyscallRecord r = sc(101, SYS_openat, 3, {static_cast<uint64_t>(AT_FDCWD), 0, O_RDONLY, 0});
  r.str1 = "../etc/shadow";
  det_.on_syscall(r);
  const Alert* a = find("Shadow read in container");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(field(*a, "fd.name"), "/etc/shadow");
  EXPECT_EQ(field(*a, "fd.nameraw"), "../etc/shadow");
  EXPECT_EQ(field(*a, "proc.pname"), "bash");
  EXPECT_EQ(field(*a, "k8s.pod.name"), "web-1");
  EXPECT_EQ(field(*a, "k8s.ns.name"), "shop");
  EXPECT_EQ(field(*a, "user.name"), "root");
  // the fd is in the table until it is closed
  ASSERT_NE(procs_.fds(101)->get(3), nullptr);
  det_.on_syscall(sc(101, SYS_close, 0, {3}));
  EXPECT_EQ(procs_.fds(101)->get(3), nullptr);
}

TEST_F(DetectorTest, KernelResolvedPathWins) {
  fork_exec(101, 100, "cat", {"cat"}, "/");
  SyscallRecord r = sc(101, SYS_openat, 4, {5, 0, O_RDONLY, 0});
  r.path_resolved = true;
  r.str1 = "/etc/shadow";
  r.str2 = "shadow";
  det_.on_syscall(r);
  const Alert* a = find("Shadow read in container");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(field(*a, "fd.name"), "/etc/shadow");
}

TEST_F(DetectorTest, OpenAtUsesTheDirfdsDirectory) {
  fork_exec(101, 100, "touch", {"touch"}, "/");
  SyscallRecord dir = sc(101, SYS_openat, 7, {static_cast<uint64_t>(AT_FDCWD), 0, O_RDONLY | O_DIRECTORY, 0});
  dir.str1 = "/usr/bin";
  det_.on_syscall(dir);
  SyscallRecord w = sc(101, SYS_openat, 8, {7, 0, O_WRONLY | O_CREAT, 0644});
  w.str1 = "x";
  det_.on_syscall(w);
  const Alert* a = find("Write below bin");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(field(*a, "fd.name"), "/usr/bin/x");
  // the rule's output names no workload: the detector appends it
  EXPECT_EQ(field(*a, "k8s.pod.name"), "web-1");
  EXPECT_EQ(field(*a, "k8s.ns.name"), "shop");
  EXPECT_EQ(field(*a, "container.id"), kId.substr(0, 12));
  EXPECT_EQ(field(*a, "container.name"), "httpd");
  EXPECT_EQ(field(*a, "container.image.repository"), "httpd");
  EXPECT_NE(a->output.find("k8s_pod_name=web-1"), std::string::npos) << a->output;
}

TEST_F(DetectorTest, HostAlertsSayHost) {
  ExecRecord host = exec(300, 1, "touch", {"touch"}, "/");
  host.cgroup_v2 = "/user.slice/session-1.scope";
  det_.on_exec(host);
  SyscallRecord w = sc(300, SYS_openat, 3, {static_cast<uint64_t>(AT_FDCWD), 0, O_WRONLY | O_CREAT, 0644});
  w.str1 = "/usr/bin/y";
  det_.on_syscall(w);
  const Alert* a = find("Write below bin");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(field(*a, "container.id"), "host");
  EXPECT_TRUE(a->output_fields["k8s.pod.name"].is_null());
}

TEST_F(DetectorTest, ConnectThenDupToStdinIsAReverseShell) {
  fork_exec(101, 100, "sh", {"sh"});
  SyscallRecord s = sc(101, SYS_socket, 3, {static_cast<uint64_t>(AF_INET), static_cast<uint64_t>(SOCK_STREAM), 0});
  s.fd.type = KernelFd::Type::kIpv4;
  s.fd.l4proto = IPPROTO_TCP;
  det_.on_syscall(s);
  SyscallRecord c = sc(101, SYS_connect, 0, {3});
  testing::tcp4(&c.fd, "\x0a\x00\x00\x05", 40000, "\xc0\x00\x02\x01", 4444);
  det_.on_syscall(c);
  const Alert* conn = find("Outbound connect");
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(field(*conn, "fd.name"), "10.0.0.5:40000->192.0.2.1:4444");
  EXPECT_EQ(field(*conn, "fd.sip"), "192.0.2.1");
  EXPECT_EQ(field(*conn, "fd.l4proto"), "tcp");
  // dup2(3, 0): the table knows what fd 3 is, so fd 0 is now that socket
  det_.on_syscall(sc(101, SYS_dup2, 0, {3, 0}));
  const Alert* dup = find("Reverse shell dup");
  ASSERT_NE(dup, nullptr);
  EXPECT_EQ(field(*dup, "fd.name"), "10.0.0.5:40000->192.0.2.1:4444");
  EXPECT_EQ(procs_.fds(101)->get(0)->type, FdType::kIpv4);
}

// A listening (or bound) socket is libsinsp's server socket: only its own end exists, so
// fd.ip != "0.0.0.0" (both ends must differ otherwise) holds for one bound to an address,
// which is what Falco's `inbound` macro asks of a listen.
TEST_F(DetectorTest, ListeningSocketIsAServerSocket) {
  fork_exec(101, 100, "python3", {"python3"});
  SyscallRecord l = sc(101, SYS_listen, 0, {3, 16});
  testing::tcp4(&l.fd, "\x0a\x00\x00\x05", 8080, "\x00\x00\x00\x00", 0);
  l.fd.num = 3;
  l.fd.ino = 77;
  det_.on_syscall(l);
  const Alert* a = find("Inbound");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(field(*a, "fd.name"), "10.0.0.5:8080");
  EXPECT_EQ(field(*a, "fd.sip"), "10.0.0.5");
  EXPECT_EQ(field(*a, "fd.sport"), "8080");
  EXPECT_TRUE(a->output_fields["fd.cip"].is_null()) << a->output;
  EXPECT_TRUE(a->output_fields["fd.lport"].is_null()) << a->output;
  sink_.alerts.clear();
  // bound to every address: not inbound, as in Falco
  SyscallRecord any = sc(101, SYS_listen, 0, {4, 16});
  testing::tcp4(&any.fd, "\x00\x00\x00\x00", 8081, "\x00\x00\x00\x00", 0);
  any.fd.num = 4;
  any.fd.ino = 78;
  det_.on_syscall(any);
  EXPECT_EQ(find("Inbound"), nullptr);
  // a successful bind to a port makes one too
  SyscallRecord b = sc(101, SYS_bind, 0, {5});
  testing::tcp4(&b.fd, "\x0a\x00\x00\x05", 9090, "\x00\x00\x00\x00", 0);
  b.fd.num = 5;
  b.fd.ino = 79;
  det_.on_syscall(b);
  a = find("Inbound");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(field(*a, "fd.name"), "10.0.0.5:9090");
}

TEST_F(DetectorTest, DupOfAnUnknownSocketUsesTheKernelsTuple) {
  fork_exec(101, 100, "sh", {"sh"});
  SyscallRecord d = sc(101, SYS_dup2, 1, {9, 1});
  d.fd.type = KernelFd::Type::kIpv6;
  d.fd.lport = 1;
  d.fd.rport = 2;
  d.fd.laddr[15] = 1;
  d.fd.raddr[15] = 1;
  det_.on_syscall(d);
  const Alert* dup = find("Reverse shell dup");
  ASSERT_NE(dup, nullptr);
  EXPECT_EQ(field(*dup, "fd.name"), "::1:1->::1:2");
}

TEST_F(DetectorTest, RenamePathsAreAbsolute) {
  fork_exec(101, 100, "sed", {"sed", "-i", "s/a/b/", "passwd"}, "/etc");
  SyscallRecord r = sc(101, SYS_renameat2, 0, {static_cast<uint64_t>(AT_FDCWD), 0, static_cast<uint64_t>(AT_FDCWD), 0, 0});
  r.str1 = "passwdAbC";
  r.str2 = "passwd";
  det_.on_syscall(r);
  const Alert* a = find("Rename");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(field(*a, "evt.arg.oldpath"), "/etc/passwdAbC");
  EXPECT_EQ(field(*a, "evt.arg.newpath"), "/etc/passwd");
}

TEST_F(DetectorTest, ChdirMovesTheCwd) {
  fork_exec(101, 100, "sh", {"sh"}, "/");
  SyscallRecord cd = sc(101, SYS_chdir, 0, {0});
  cd.path_resolved = true;
  cd.str1 = "/etc";
  cd.str2 = "etc";
  det_.on_syscall(cd);
  EXPECT_EQ(procs_.find(101)->cwd, "/etc");
  SyscallRecord r = sc(101, SYS_openat, -ENOENT, {static_cast<uint64_t>(AT_FDCWD), 0, O_RDONLY, 0});
  r.str1 = "shadow";
  det_.on_syscall(r);
  EXPECT_EQ(find("Shadow read in container"), nullptr) << "a failed open is not a read";
}

TEST_F(DetectorTest, ShortLivedProcessKeepsItsContextAfterExit) {
  // exec, open and exit arrive together, as with a process that lived a millisecond: the
  // records carry what is needed, nothing is looked up in /proc afterwards.
  fork_exec(150, 100, "cat", {"cat", "/etc/shadow"});
  SyscallRecord r = sc(150, SYS_openat, 3, {static_cast<uint64_t>(AT_FDCWD), 0, O_RDONLY, 0});
  r.str1 = "/etc/shadow";
  det_.on_syscall(r);
  ExitRecord e;
  e.pid = e.tid = 150;
  det_.on_exit(e);
  const Alert* a = find("Shadow read in container");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(field(*a, "k8s.pod.name"), "web-1");
  EXPECT_EQ(procs_.find(150), nullptr) << "reaped";
}

// evt.cpu is the CPU the kernel made the record on, for execs and syscalls alike.
TEST_F(DetectorTest, EventsCarryTheirCpu) {
  ExecRecord e = exec(101, 100, "cat", {"cat"}, "/");
  e.cpu = 1;
  det_.on_exec(e);
  const Alert* a = find("On cpu 1");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->output_fields["evt.cpu"], 1);
  EXPECT_EQ(field(*a, "evt.type"), "execve");
  SyscallRecord s = sc(101, SYS_close, 0, {7});
  s.cpu = 1;
  det_.on_syscall(s);
  a = find("On cpu 1");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(field(*a, "evt.type"), "close");
  const size_t alerts = sink_.alerts.size();
  det_.on_syscall(sc(101, SYS_close, 0, {8}));  // on CPU 0
  EXPECT_EQ(sink_.alerts.size(), alerts);
}

TEST_F(DetectorTest, CountsEventsByType) {
  fork_exec(101, 100, "cat", {"cat"});
  det_.on_syscall(sc(101, SYS_close, 0, {7}));
  const std::string text = registry_.render();
  EXPECT_NE(text.find("riposte_detector_events_total{type=\"close\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("riposte_detector_events_total{type=\"execve\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("riposte_detector_fd_entries_refreshed_total 0"), std::string::npos) << text;
}

}  // namespace
}  // namespace riposte::detector

namespace riposte::detector {
namespace {

// Rules reload (rules_reload.h): rewriting the rules file changes what fires; a broken new
// file is refused as a whole, counted, and the last good rules keep firing.
TEST(RulesReloadTest, RewritingTheRulesFileChangesWhatFires) {
  const std::string dir = ::testing::TempDir() + "rules-reload-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string file = dir + "/rules.yaml";
  auto write = [&](const std::string& text) {  // as an installer does: a new file renamed
    std::ofstream(file + ".tmp") << text;
    std::filesystem::rename(file + ".tmp", file);
  };
  auto rule = [](const std::string& name, const std::string& proc) {
    return "- rule: " + name +
           "\n  desc: t\n  condition: evt.type = execve and proc.name = " + proc +
           "\n  output: ran %proc.name\n  priority: WARNING\n";
  };
  write(rule("Cat ran", "cat"));
  auto first = rules::load_rules({file});
  ASSERT_TRUE(first.ok());
  Registry registry;
  RulesReloader reloader({file}, {}, std::move(first.ruleset), &registry);
  FakePods pods;
  ContainerResolver containers(&pods);
  UserResolver users("/nonexistent");
  ProcessEnricher enricher(&containers, &users, 0);
  ProcessTable procs(1024);
  Capture sink;
  Detector det(&reloader.current(), &enricher, &procs, nullptr, &sink, &registry, "node-a", 0);
  uint32_t pid = 200;
  auto run = [&](const std::string& comm) {
    sink.alerts.clear();
    ExecRecord r;
    r.pid = r.tid = ++pid;
    r.ppid = 1;
    r.comm = comm;
    r.filename = r.exe_path = "/bin/" + comm;
    r.argv = {comm};
    r.cwd = "/";
    det.on_exec(r);
    std::vector<std::string> fired;
    for (const auto& a : sink.alerts) fired.push_back(a.rule);
    return fired;
  };
  EXPECT_EQ(run("cat"), std::vector<std::string>{"Cat ran"});
  EXPECT_EQ(reloader.poll(), nullptr) << "nothing changed";

  write(rule("Tac ran", "tac"));
  const rules::Ruleset* next = reloader.poll();
  ASSERT_NE(next, nullptr);
  det.set_rules(next);
  EXPECT_EQ(run("cat"), std::vector<std::string>{});
  EXPECT_EQ(run("tac"), std::vector<std::string>{"Tac ran"});

  // Broken: the good rule of the new file does not apply either; the last good set stays.
  write(rule("Cat ran", "cat") +
        "- rule: Broken\n  desc: t\n  condition: proc.nmae = x\n"
        "  output: x\n  priority: WARNING\n");
  EXPECT_EQ(reloader.poll(), nullptr);
  EXPECT_EQ(&reloader.current(), next);
  EXPECT_EQ(run("tac"), std::vector<std::string>{"Tac ran"});
  EXPECT_EQ(run("cat"), std::vector<std::string>{});
  const std::string metrics = registry.render();
  EXPECT_NE(metrics.find("riposte_detector_rules_reloads_total{outcome=\"refused\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("riposte_detector_rules_reloads_total{outcome=\"loaded\"} 1"),
            std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(RulesReloadTest, VersionsAnswersWithFalcosKeys) {
  auto v = nlohmann::json::parse(falco_versions_json());
  for (const char* key : {"falco_version", "libs_version", "plugin_api_version",
                          "driver_api_version", "driver_schema_version", "default_driver_version",
                          "engine_version", "engine_version_semver", "plugin_versions"}) {
    EXPECT_TRUE(v.contains(key)) << key;
  }
  EXPECT_EQ(v["engine_version_semver"], std::string(rules::kEngineVersion));
  EXPECT_EQ(v["engine_version"], "57");
}

}  // namespace
}  // namespace riposte::detector
