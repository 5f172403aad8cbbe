// The sensor as the rules see it (needs root): real eBPF programs, the real process table,
// /proc reader and user names, and the detector's event path, with only the rules of each
// test loaded, so what the kernel sends is what those rules alone turn on. Each test runs real
// syscalls in a forked child and waits for the alert that proves the sensor kept the state:
// - credentials: after a successful setuid/setgid/capset, later events (and the call's own)
//   carry the new user, group and capabilities, with no rule naming those calls, and
//   Falco's "Non sudo setuid" fires (incubating ruleset, unchanged);
// - sockets: a listen carries its bound address whatever other rules are loaded, as a
//   server socket (Falco's sandbox "Interpreted procs inbound network activity" fires);
// - proc.env: read at exec, bounded to 4 KiB, served as libsinsp serves it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "detector/container/container_resolver.h"
#include "detector/detector.h"
#include "detector/enricher.h"
#include "detector/sensor/bpf_source.h"
#include "detector/sensor/syscall_table.h"
#include "detector/state/proc_reader.h"
#include "detector/state/process_table.h"
#include "detector/state/user_resolver.h"

namespace riposte::detector {
namespace {

class Capture : public AlertSink {
 public:
  Status emit(const Alert& a) override {
    alerts.push_back(a);
    return {};
  }
  std::vector<Alert> alerts;
};

int64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string falco_rules(const std::string& name) {
  const char* src = std::getenv("RIPOSTE_SOURCE_DIR");
  const std::filesystem::path base = src ? src : ".";
  return (base / ".." / "shared" / "falco-rules" / name).lexically_normal().string();
}

// A field of an alert's output_fields as text ("" when absent or null).
std::string field(const Alert& a, const std::string& name) {
  auto it = a.output_fields.find(name);
  if (it == a.output_fields.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// Runs fn in a child and waits for it; its exit code is fn's.
int in_child(const std::function<int()>& fn) {
  const pid_t pid = fork();
  if (pid == 0) _exit(fn());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The detector wired as riposte-detector wires it, on the rules of one test.
class Sensor {
 public:
  explicit Sensor(const rules::LoadResult& loaded)
      : boot_to_wall_(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME)),
        enricher_(&containers_, &users_, boot_to_wall_),
        reader_("/proc", boot_to_wall_),
        procs_(65536, &reader_,
               [this](ProcessInfo* p, const ProcSnapshot& s) { enricher_.apply(p, s); }),
        det_(loaded.ruleset.get(), &enricher_, &procs_, &reader_, &sink_, &registry_, "node",
             boot_to_wall_) {
    BpfSourceOptions o;
    o.ring_bytes = 8u << 20;
    select_syscalls(*loaded.ruleset, &o);
    reader_.set_read_env(o.env);
    source_ = std::make_unique<BpfSource>(o);
  }
  Status start() {
    Status st = source_->start(&det_);
    if (st.ok()) procs_.scan();
    return st;
  }
  // Polls until an alert satisfies pred (or ~20 s of polling pass: a poll returns after one
  // tick, 10 ms, when nothing woke it).
  const Alert* wait_for(const std::function<bool(const Alert&)>& pred) {
    for (int i = 0; i < 2000; ++i) {
      EXPECT_TRUE(source_->poll(100).ok());
      for (const Alert& a : sink_.alerts)
        if (pred(a)) return &a;
    }
    return nullptr;
  }
  uint64_t drops() const { return source_->kernel_drops(); }
  // What was raised, for a failure message.
  std::string seen() const {
    std::string out;
    for (const Alert& a : sink_.alerts) out += "\n  " + a.output;
    return out.empty() ? " (no alert)" : out;
  }

 private:
  int64_t boot_to_wall_;
  ContainerResolver containers_{nullptr};
  UserResolver users_;
  ProcessEnricher enricher_;
  ProcReader reader_;
  ProcessTable procs_;
  Capture sink_;
  Registry registry_;
  Detector det_;
  std::unique_ptr<BpfSource> source_;
};

rules::LoadOptions all_matches() {
  rules::LoadOptions o;
  o.rule_matching = rules::RuleMatching::kAll;
  return o;
}

class SensorRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "this test loads eBPF programs: run it as root";
  }
  // Loads the rules and starts the sensor on them.
  std::unique_ptr<Sensor> start(const std::string& yaml) {
    loaded_ = rules::load_rules_from_string(yaml, all_matches(), "test.yaml");
    EXPECT_TRUE(loaded_.ok()) << (loaded_.diagnostics.empty() ? "" : loaded_.diagnostics[0].str());
    return start_loaded();
  }
  std::unique_ptr<Sensor> start_loaded() {
    if (!loaded_.ruleset) return nullptr;
    auto s = std::make_unique<Sensor>(loaded_);
    Status st = s->start();
    EXPECT_TRUE(st.ok()) << st.error();
    return st.ok() ? std::move(s) : nullptr;
  }
  rules::LoadResult loaded_;
};

const std::string kMarker = "/tmp/riposte-creds-" + std::to_string(getpid());

// No loaded rule names a credential call: the kernel still reports the successful ones, and
// the open after them carries the new ids and capabilities.
TEST_F(SensorRulesTest, CredentialCallsChangeTheUserOfLaterEvents) {
  auto sensor = start(R"(
- rule: Marker open
  desc: t
  condition: evt.type in (open, openat) and fd.name startswith /tmp/riposte-creds-
  output: open (file=%fd.name uid=%user.uid user=%user.name gid=%group.gid group=%group.name caps=%thread.cap_effective)
  priority: NOTICE
)");
  ASSERT_NE(sensor, nullptr);
  const std::string ids = kMarker + "-ids";
  const std::string caps = kMarker + "-caps";
  // root -> group daemon (1), user bin (2): setresgid, then setreuid (real and effective)
  ASSERT_EQ(in_child([&] {
              if (setresgid(1, 1, 1) != 0 || setreuid(2, 2) != 0) return 1;
              open(ids.c_str(), O_RDONLY);  // ENOENT is fine: the event is the open
              return 0;
            }),
            0);
  // capset: keep CAP_CHOWN effective, nothing else
  ASSERT_EQ(in_child([&] {
              __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
              __user_cap_data_struct data[2] = {};
              if (syscall(SYS_capget, &hdr, data) != 0) return 1;
              data[0].effective = 1u << CAP_CHOWN;
              data[1].effective = 0;
              if (syscall(SYS_capset, &hdr, data) != 0) return 2;
              open(caps.c_str(), O_RDONLY);
              return 0;
            }),
            0);
  const Alert* a = sensor->wait_for([&](const Alert& x) { return field(x, "fd.name") == ids; });
  ASSERT_NE(a, nullptr) << "no alert for the open after setresgid/setreuid";
  EXPECT_EQ(field(*a, "user.uid"), "2");
  EXPECT_EQ(field(*a, "user.name"), "bin");
  EXPECT_EQ(field(*a, "group.gid"), "1");
  EXPECT_EQ(field(*a, "group.name"), "daemon");
  const Alert* c = sensor->wait_for([&](const Alert& x) { return field(x, "fd.name") == caps; });
  ASSERT_NE(c, nullptr) << "no alert for the open after capset";
  EXPECT_EQ(field(*c, "thread.cap_effective"), "CAP_CHOWN");
  EXPECT_EQ(field(*c, "user.uid"), "0");
  EXPECT_EQ(sensor->drops(), 0u);
}

// Falco's own rule, unchanged: a root process that setuid()s to bin is "Non sudo setuid",
// which needs the event of the setuid itself to carry the new user (libsinsp parses the
// call before the rules see it). Before, user.name stayed root until the next exec.
TEST_F(SensorRulesTest, FalcosNonSudoSetuidSeesTheNewUser) {
  loaded_ = rules::load_rules(
      {falco_rules("falco_rules.yaml"), falco_rules("falco-incubating_rules.yaml")}, all_matches());
  ASSERT_TRUE(loaded_.ok()) << "Falco's rules in ../shared/falco-rules: "
                            << (loaded_.diagnostics.empty() ? "" : loaded_.diagnostics[0].str());
  auto sensor = start_loaded();
  ASSERT_NE(sensor, nullptr);
  ASSERT_EQ(in_child([] { return setuid(2) == 0 ? 0 : 1; }), 0);
  const Alert* a = sensor->wait_for(
      [](const Alert& x) { return x.rule == "Non sudo setuid" && field(x, "user.name") == "bin"; });
  ASSERT_NE(a, nullptr) << "Non sudo setuid did not fire for setuid(2) by root";
  EXPECT_EQ(field(*a, "user.uid"), "2");
  EXPECT_EQ(field(*a, "evt.type"), "setuid");
}

// Only a listen rule is loaded (no bind, no socket): the listening socket's address comes
// from the kernel's view in the listen record.
TEST_F(SensorRulesTest, ListenCarriesItsAddressWithNoOtherSocketRule) {
  auto sensor = start(R"(
- rule: Listen on loopback
  desc: t
  condition: evt.type = listen and fd.sip = 127.0.0.1 and fd.sport > 0
  output: listen (sip=%fd.sip sport=%fd.sport name=%fd.name server=%fd.is_server)
  priority: NOTICE
)");
  ASSERT_NE(sensor, nullptr);
  int port_pipe[2];
  ASSERT_EQ(pipe(port_pipe), 0);
  ASSERT_EQ(in_child([&] {
              const int s = socket(AF_INET, SOCK_STREAM, 0);
              sockaddr_in a{};
              a.sin_family = AF_INET;
              a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // port 0: the kernel picks a free one
              socklen_t len = sizeof a;
              if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(s, 1) != 0 ||
                  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0)
                return 1;
              const uint16_t port = ntohs(a.sin_port);
              return write(port_pipe[1], &port, sizeof port) == sizeof port ? 0 : 2;
            }),
            0);
  uint16_t port = 0;
  ASSERT_EQ(read(port_pipe[0], &port, sizeof port), static_cast<ssize_t>(sizeof port));
  close(port_pipe[0]);
  close(port_pipe[1]);
  const Alert* a = sensor->wait_for(
      [&](const Alert& x) { return field(x, "fd.sport") == std::to_string(port); });
  ASSERT_NE(a, nullptr) << "no alert for the listen on 127.0.0.1:" << port << sensor->seen();
  EXPECT_EQ(field(*a, "fd.sip"), "127.0.0.1");
  EXPECT_EQ(field(*a, "fd.is_server"), "true");
}

// The first IPv4 address of this machine that is not loopback ("" when none).
std::string outside_address() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* i = list; i != nullptr && found.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof text)) found = text;
  }
  freeifaddrs(list);
  return found;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Falco's sandbox rule, unchanged but enabled (it ships disabled): a perl process listening
// on an address of this machine is inbound activity. Its `inbound` macro asks fd.ip !=
// "0.0.0.0" of the listen, which holds only for a server socket (one end).
TEST_F(SensorRulesTest, FalcosInterpretedInboundSeesARealListen) {
  const std::string addr = outside_address();
  if (addr.empty()) GTEST_SKIP() << "no IPv4 address outside loopback";
  loaded_ = rules::load_rules_from_sources(
      {{"falco_rules.yaml", read_file(falco_rules("falco_rules.yaml"))},
       {"falco-sandbox_rules.yaml", read_file(falco_rules("falco-sandbox_rules.yaml"))},
       {"enable.yaml", R"(
- rule: Interpreted procs inbound network activity
  enabled: true
  override:
    enabled: replace
)"}},
      all_matches());
  ASSERT_TRUE(loaded_.ok()) << "Falco's rules in ../shared/falco-rules: "
                            << (loaded_.diagnostics.empty() ? "" : loaded_.diagnostics[0].str());
  auto sensor = start_loaded();
  ASSERT_NE(sensor, nullptr);
  const std::string out = ::testing::TempDir() + "riposte-perl-port";
  const std::string cmd =
      "perl -MSocket -e 'socket(S, PF_INET, SOCK_STREAM, 0) or die; bind(S, "
      "pack_sockaddr_in(0, inet_aton(\"" +
      addr +
      "\"))) or die; listen(S, 1) or die; "
      "print((sockaddr_in(getsockname(S)))[0])' > " +
      out;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const std::string port = read_file(out);
  ASSERT_FALSE(port.empty());
  const Alert* a = sensor->wait_for([&](const Alert& x) {
    return x.rule == "Interpreted procs inbound network activity" &&
           field(x, "fd.name") == addr + ":" + port;
  });
  ASSERT_NE(a, nullptr) << "no inbound alert for perl listening on " << addr << ":" << port
                        << sensor->seen();
  EXPECT_EQ(field(*a, "proc.name"), "perl");
  EXPECT_EQ(field(*a, "evt.type"), "listen");
}

// proc.env at exec: a variable by name, the whole environment as libsinsp joins it, and only
// the first 4 KiB of a larger one.
TEST_F(SensorRulesTest, EnvironmentIsReadAtExec) {
  auto sensor = start(R"(
- rule: Marked exec
  desc: t
  condition: evt.type = execve and proc.env[RIPOSTE_MARK] startswith riposte-
  output: marked (mark=%proc.env[RIPOSTE_MARK] env=%proc.env)
  priority: NOTICE
- rule: Padded exec
  desc: t
  condition: evt.type = execve and proc.env startswith "RIPOSTE_PAD="
  output: padded (mark=%proc.env[RIPOSTE_MARK] pad=%proc.env[RIPOSTE_PAD])
  priority: NOTICE
)");
  ASSERT_NE(sensor, nullptr);
  const std::string mark = "riposte-" + std::to_string(getpid());
  auto run_true = [](std::vector<std::string> env) {
    return in_child([&] {
      std::vector<char*> envp;
      for (auto& e : env) envp.push_back(e.data());
      envp.push_back(nullptr);
      char arg0[] = "true";
      char* argv[] = {arg0, nullptr};
      execve("/bin/true", argv, envp.data());
      return 127;
    });
  };
  ASSERT_EQ(run_true({"RIPOSTE_MARK=" + mark, "OTHER=a b"}), 0);
  const std::string pad(5000, 'x');
  ASSERT_EQ(run_true({"RIPOSTE_PAD=" + pad, "RIPOSTE_MARK=" + mark + "-cut"}), 0);

  const Alert* a = sensor->wait_for([&](const Alert& x) { return x.rule == "Marked exec"; });
  ASSERT_NE(a, nullptr) << "no alert for the exec with RIPOSTE_MARK";
  EXPECT_EQ(field(*a, "proc.env[RIPOSTE_MARK]"), mark);
  EXPECT_EQ(field(*a, "proc.env"), "RIPOSTE_MARK=" + mark + " OTHER=a b");
  const Alert* p = sensor->wait_for([&](const Alert& x) { return x.rule == "Padded exec"; });
  ASSERT_NE(p, nullptr) << "no alert for the exec with a 5 KB environment";
  EXPECT_EQ(field(*p, "proc.env[RIPOSTE_MARK]"), "") << "past the first 4 KiB";
  EXPECT_EQ(field(*p, "proc.env[RIPOSTE_PAD]").size(), 4096u - std::string("RIPOSTE_PAD=").size());
}

}  // namespace
}  // namespace riposte::detector
