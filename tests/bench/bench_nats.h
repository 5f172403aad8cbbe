// What the benchmarks share: a throwaway nats-server with JetStream (no gtest here, unlike
// tests/support/nats_server.h), a connect helper that waits for it to listen, and the alert
// they send.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/alert.h"
#include "common/nats.h"
#include "tests/support/shell_alert.h"

extern char** environ;

namespace riposte::bench {

// nats-server -js on a port derived from the pid, killed on destruction.
class BenchNats {
 public:
  BenchNats() {
    char tmpl[] = "/tmp/riposte-bench-nats-XXXXXX";
    dir_ = mkdtemp(tmpl);
    port_ = 20000 + static_cast<int>(getpid() % 20000);
    // PATH's first (the pinned build deploy/local links into /usr/local/bin), then Debian's.
    const std::string bin = std::filesystem::exists("/usr/local/bin/nats-server")
                                ? "/usr/local/bin/nats-server"
                                : "/usr/sbin/nats-server";
    std::vector<std::string> args = {
        bin,   "-js",           "-a", "127.0.0.1",  "-p", std::to_string(port_),
        "-sd", dir_ + "/store", "-l", dir_ + "/log"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, bin.c_str(), nullptr, nullptr, argv.data(), environ) != 0) pid_ = 0;
  }
  ~BenchNats() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  BenchNats(const BenchNats&) = delete;
  BenchNats& operator=(const BenchNats&) = delete;
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  bool ok() const { return pid_ > 0; }

 private:
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = 0;
};

inline std::unique_ptr<nats::Connection> connect(const std::string& url) {
  for (int i = 0; i < 100; ++i) {
    auto c = nats::Connection::connect({.url = url, .max_reconnect = 0});
    if (c.ok() && (*c)->connected()) return std::move(*c);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return nullptr;
}

// Falco's "Terminal shell in container" for pod ns/pod, numbered i, with proc.name.
inline Alert bench_alert(int64_t i, const std::string& ns, const std::string& pod) {
  Alert a = testing::numbered_shell_alert(i, ns, pod);
  a.output_fields["proc.name"] = "bash";
  return a;
}

}  // namespace riposte::bench
