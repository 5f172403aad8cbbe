// Shared test helpers: waiting for a condition, small string helpers, a temporary directory,
// a GMock KubeClient and an alert builder.
#pragma once

#include <gmock/gmock.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <thread>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/alert.h"
#include "common/kube/kube_client.h"

namespace riposte::testing {

// Polls cond until it holds or timeout_ms passed; the last answer. Tests wait for behaviour,
// never assert on how long it took.
inline bool eventually(const std::function<bool()>& cond, int timeout_ms = 30000) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

inline std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(s.find_last_not_of(ws) + 1);
  s.erase(0, s.find_first_not_of(ws));
  return s;
}

// $name, or def when unset or empty.
inline std::string env_or(const char* name, const std::string& def) {
  const char* v = std::getenv(name);
  return v && *v ? v : def;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "riposte-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes (replacing) path()/name and returns its full path.
  std::string write(const std::string& name, const std::string& content) const {
    std::string p = path_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    return p;
  }

 private:
  std::string path_;
};

// Sets (or, with nullptr, unsets) an environment variable for a scope; restores the old
// value after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    had_ = std::getenv(name) != nullptr;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      ::setenv(name_, old_.c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

class MockKubeClient : public kube::KubeClient {
 public:
  MOCK_METHOD(Result<kube::KubeResponse>, request, (const kube::KubeRequest&), (override));
};

inline Result<kube::KubeResponse> respond(int status, std::string body = "{}") {
  return kube::KubeResponse{status, std::move(body)};
}

// A metav1.Status body as the API server sends with errors.
inline std::string status_body(int code, const std::string& reason, const std::string& message) {
  return nlohmann::json{{"kind", "Status"},   {"apiVersion", "v1"}, {"status", "Failure"},
                        {"message", message}, {"reason", reason},   {"code", code}}
      .dump();
}

inline Alert shell_alert(const std::string& ns = "shop", const std::string& pod = "web-1") {
  Alert a;
  a.rule = "Terminal shell in container";
  a.priority = Priority::kNotice;
  a.output_fields = {{"k8s.ns.name", ns}, {"k8s.pod.name", pod}, {"proc.name", "bash"}};
  return a;
}

}  // namespace riposte::testing
