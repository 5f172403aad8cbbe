// Rotating the NATS passwords takes effect without restarting riposte (issue 13): the server
// is given new passwords (a configuration reload drops the connections that used the old
// ones), the password files change as a Kubernetes Secret volume would, and the same detector
// and responder processes go on. Real eBPF on a real exec, a real nats-server with the shipped
// users and subject rights, the real daemons.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/nats.h"
#include "responder/bus.h"
#include "tests/e2e/bus_e2e_util.h"
#include "tests/support/nats_server.h"
#include "tests/support/subprocess.h"

namespace riposte::testing {
namespace {

constexpr const char* kMarker = "riposte-rotation-marker-";

// Replaced in one rename, as the kubelet swaps a Secret volume's files.
void write_secret(const std::string& path, const std::string& value) {
  const std::string tmp = path + ".new";
  std::ofstream(tmp) << value << "\n";
  std::filesystem::rename(tmp, path);
}

std::vector<std::string> password_file_flags(const std::string& url, const std::string& user,
                                             const std::string& file) {
  return {"--nats", url, "--nats-user", user, "--nats-password-file", file};
}

TEST(NatsRotationE2E, NewPasswordsTakeEffectWithoutARestart) {
  ASSERT_EQ(geteuid(), 0u) << "loads eBPF programs: run as root";
  NatsServer server({.shipped_auth = true,
                     .passwords = {{"riposte-detector", "detector-old"},
                                   {"riposte-responder", "responder-old"}}});
  ASSERT_TRUE(server.start());
  const std::string dir = make_temp_dir("nats-rotation");
  const std::string detector_pw = dir + "/detector.password";
  const std::string responder_pw = dir + "/responder.password";
  write_secret(detector_pw, "detector-old");
  write_secret(responder_pw, "responder-old");

  auto observer = nats::Connection::connect(shipped_auth_options(server.url(), "riposte-test"));
  ASSERT_TRUE(observer.ok()) << observer.error();
  ASSERT_TRUE(responder::ensure_streams(**observer, {}).ok());
  AuditWatcher watcher(**observer);

  DryRunSetup setup;
  std::ofstream(setup.playbooks + "/rotation.yaml") << R"(
name: rotation-marker
dry_run: true
match: {rules: ["Rotation marker"]}
steps:
  - {name: mark, action: node.cordon}
)";
  auto responder = start_responder_as(
      setup, password_file_flags(server.url(), "riposte-responder", responder_pw), "r1");
  ASSERT_TRUE(responder);
  auto detector = start_marker_detector(
      dir, "Rotation marker", kMarker, server.url(), "127.0.0.1:0",
      {"--nats-user", "riposte-detector", "--nats-password-file", detector_pw});
  ASSERT_TRUE(detector);
  const pid_t responder_pid = responder->pid(), detector_pid = detector->pid();

  // Before: an exec is detected, published by the detector, and run by the responder.
  ASSERT_EQ(std::system((std::string("/bin/true ") + kMarker + "before").c_str()), 0);
  ASSERT_TRUE(eventually([&] { return watcher.distinct() >= 1; }, 60000))
      << "detector:\n"
      << detector->log_tail() << "\nresponder:\n"
      << responder->log_tail();

  // The rotation: the server first (its old connections are dropped and cannot come back),
  // then the Secret's files.
  ASSERT_TRUE(server.set_password("riposte-detector", "detector-new"));
  ASSERT_TRUE(server.set_password("riposte-responder", "responder-new"));
  write_secret(detector_pw, "detector-new");
  write_secret(responder_pw, "responder-new");
  for (auto* p : {detector.get(), responder.get()}) {
    EXPECT_TRUE(eventually(
        [&] { return p->log_tail(1 << 16).find("NATS credentials rotated") != std::string::npos; },
        60000))
        << p->log_tail();
  }

  // After: the same processes, on the new passwords, detect, publish and respond again.
  ASSERT_EQ(std::system((std::string("/bin/true ") + kMarker + "after").c_str()), 0);
  EXPECT_TRUE(eventually([&] { return watcher.distinct() >= 2; }, 60000))
      << "detector:\n"
      << detector->log_tail() << "\nresponder:\n"
      << responder->log_tail();
  EXPECT_TRUE(detector->running());
  EXPECT_TRUE(responder->running());
  EXPECT_EQ(detector->pid(), detector_pid);
  EXPECT_EQ(responder->pid(), responder_pid);

  // The old passwords are refused now: the rotation really happened on the server.
  nats::Options old = shipped_auth_options(server.url(), "riposte-responder");
  old.password = "responder-old";
  EXPECT_FALSE(nats::Connection::connect(old).ok());
}

}  // namespace
}  // namespace riposte::testing
