#include "tests/support/nats_server.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace riposte::testing {

namespace {
constexpr const char* kShippedAuthTestPassword = "riposte-test-password";
}  // namespace

NatsServer::NatsServer(NatsServerOptions options) : options_(std::move(options)) {}

NatsServer::~NatsServer() {
  stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string NatsServer::binary() {
  const char* env = std::getenv("RIPOSTE_NATS_SERVER");
  if (env && *env) return env;
  // deploy/local/build-control-plane.sh links the pinned build into /usr/local/bin; Debian's
  // 2.9.10 in /usr/sbin (not serializing clustered KV updates, nats-server#4320) comes last.
  for (const char* p :
       {"/usr/local/bin/nats-server", "/usr/bin/nats-server", "/usr/sbin/nats-server"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "/usr/sbin/nats-server";
}

bool NatsServer::start() {
  if (proc_ && proc_->running()) return true;
  const std::string bin = binary();
  if (access(bin.c_str(), X_OK) != 0) {
    ADD_FAILURE() << "nats-server not found (looked at $RIPOSTE_NATS_SERVER, /usr/local/bin, "
                     "/usr/bin, /usr/sbin): run deploy/local/install.sh or set "
                     "RIPOSTE_NATS_SERVER";
    return false;
  }
  if (dir_.empty()) {
    dir_ = make_temp_dir("riposte-nats");
    if (dir_.empty()) {
      ADD_FAILURE() << "cannot create a temporary directory for nats-server";
      return false;
    }
    store_dir_ = dir_ + "/store";
    std::filesystem::create_directories(store_dir_);
  }
  if (port_ == 0) port_ = options_.port > 0 ? options_.port : pick_free_port();
  if (options_.monitor && monitor_port_ == 0) monitor_port_ = pick_free_port();

  std::vector<std::string> argv = {
      bin,   "-js",      "-a", "127.0.0.1",   "-p", std::to_string(port_),
      "-sd", store_dir_, "-n", options_.name};
  if (options_.monitor) {
    argv.insert(argv.end(), {"-m", std::to_string(monitor_port_)});
  }
  if (!options_.user.empty()) argv.insert(argv.end(), {"--user", options_.user});
  if (!options_.password.empty()) argv.insert(argv.end(), {"--pass", options_.password});
  std::string config = options_.config;
  if (options_.shipped_auth) {
    const char* src = std::getenv("RIPOSTE_SOURCE_DIR");
    const std::string shipped =
        std::string(src ? src : ".") + "/deploy/helm/riposte/files/nats-permissions.conf";
    std::error_code ec;
    std::filesystem::copy_file(shipped, dir_ + "/nats-permissions.conf",
                               std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) {
      ADD_FAILURE() << "cannot copy " << shipped << ": " << ec.message()
                    << " (is RIPOSTE_SOURCE_DIR set?)";
      return false;
    }
    config = config_text();
    // JetStream and its store come from the file (kept in it for reloads), not the flags.
    std::erase(argv, std::string("-js"));
    if (auto sd = std::find(argv.begin(), argv.end(), std::string("-sd")); sd != argv.end())
      argv.erase(sd, sd + 2);
  }
  if (!config.empty()) {
    const std::string conf = dir_ + "/nats-server.conf";
    std::ofstream(conf) << config << "\n";
    argv.insert(argv.end(), {"-c", conf});
  }
  const std::string log_path = dir_ + "/nats-server." + std::to_string(++starts_) + ".log";
  auto proc = Subprocess::spawn(argv, {}, log_path);
  if (!proc) {
    ADD_FAILURE() << "cannot start nats-server: " << proc.error();
    return false;
  }
  proc_ = std::move(*proc);

  // Ready means the client port accepts connections and the server says so; JetStream is
  // enabled before the client listener opens.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!proc_->running()) {
      ADD_FAILURE() << "nats-server exited during startup; log " << log_path << ":\n"
                    << proc_->log_tail();
      return false;
    }
    if (wait_for_port(port_, 100) &&
        proc_->log_tail(1 << 20).find("Server is ready") != std::string::npos) {
      return true;
    }
  }
  ADD_FAILURE() << "nats-server did not accept connections on 127.0.0.1:" << port_
                << " within 15s; log " << log_path << ":\n"
                << proc_->log_tail();
  proc_->stop();
  return false;
}

void NatsServer::stop() {
  if (proc_) {
    proc_->stop(10000);
    proc_.reset();
  }
}

bool NatsServer::restart() {
  stop();
  return start();
}

std::string NatsServer::config_text() const {
  std::string config = options_.config;
  if (!options_.shipped_auth) return config;
  auto password = [&](const std::string& user) {
    auto it = options_.passwords.find(user);
    return it == options_.passwords.end() ? std::string(kShippedAuthTestPassword) : it->second;
  };
  // The name is also in the file: a reload (set_password) refuses a server name that changes.
  config += "\nserver_name: \"" + options_.name + "\"\n";
  // JetStream too: a reload of a file without it would turn JetStream off (-js is not re-read).
  config += "jetstream { store_dir: \"" + store_dir_ + "\" }\n";
  config += "include ./nats-permissions.conf\nauthorization {\n  users: [\n";
  // Every user the shipped file defines rights for (an unused variable is an error there).
  for (const char* user : {"riposte-detector", "riposte-audit", "riposte-responder"}) {
    std::string var = std::string(user).substr(std::string("riposte-").size());
    for (auto& c : var) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    config += std::string("    {user: ") + user + ", password: \"" + password(user) +
              "\", permissions: $RIPOSTE_" + var + "_PERMISSIONS}\n";
  }
  config += "    {user: riposte-test, password: \"" + password("riposte-test") + "\"}\n  ]\n}\n";
  return config;
}

bool NatsServer::set_password(const std::string& user, const std::string& password) {
  if (!proc_ || !options_.shipped_auth) {
    ADD_FAILURE() << "set_password needs a running server with shipped_auth";
    return false;
  }
  options_.passwords[user] = password;
  std::ofstream(dir_ + "/nats-server.conf") << config_text() << "\n";
  const size_t reloads_before = count_reloads();
  if (kill(proc_->pid(), SIGHUP) != 0) {
    ADD_FAILURE() << "cannot signal nats-server";
    return false;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (count_reloads() > reloads_before) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "nats-server did not reload its configuration:\n" << proc_->log_tail();
  return false;
}

size_t NatsServer::count_reloads() const {
  const std::string log = proc_ ? proc_->log_tail(1 << 20) : std::string();
  size_t n = 0;
  for (size_t at = log.find("Reloaded"); at != std::string::npos; at = log.find("Reloaded", at + 1))
    ++n;
  return n;
}

bool NatsServer::running() const { return proc_ != nullptr; }

std::string NatsServer::url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

std::string NatsServer::log() const { return proc_ ? proc_->log_tail(1 << 20) : std::string(); }

nats::Options shipped_auth_options(const std::string& urls, const std::string& user,
                                   const std::string& name) {
  nats::Options o;
  o.url = urls;
  o.name = name.empty() ? user : name;
  o.user = user;
  o.password = kShippedAuthTestPassword;
  if (user != "riposte-test") o.inbox_prefix = "_INBOX." + user;  // what its rights allow
  return o;
}

std::vector<std::string> shipped_auth_flags(const std::string& user) {
  return {"--nats-user", user, "--nats-password", kShippedAuthTestPassword};
}

}  // namespace riposte::testing
