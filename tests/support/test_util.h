// Shared test helpers: a temporary directory, a GMock KubeClient and an
// alert builder.
#pragma once

#include <gmock/gmock.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/alert.h"
#include "common/kube/kube_client.h"

namespace riposte::testing {

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
