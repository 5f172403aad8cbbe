#include "common/secret_file.h"

#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "common/log.h"

namespace riposte {

SecretFile::SecretFile(std::string path, int check_ms)
    : path_(std::move(path)), check_every_(check_ms) {}

Result<SecretFile::Stamp> SecretFile::stamp() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return Error{path_ + ": cannot stat"};
  return Stamp{static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
               st.st_size, st.st_ino};
}

Result<std::string> SecretFile::read() const {
  std::ifstream in(path_);
  if (!in) return Error{path_ + ": cannot read"};
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  if (s.empty()) return Error{path_ + " is empty"};
  return s;
}

Status SecretFile::load() {
  std::lock_guard<std::mutex> lock(mu_);
  auto st = stamp();
  if (!st) return st.err();
  auto v = read();
  if (!v) return v.err();
  value_ = std::move(*v);
  seen_ = *st;
  next_check_ = std::chrono::steady_clock::now() + check_every_;
  return {};
}

std::string SecretFile::current() {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (now < next_check_) return value_;
  next_check_ = now + check_every_;
  auto st = stamp();
  if (!st || *st == seen_) return value_;
  auto v = read();
  if (!v) {
    log::warn("secret file changed but cannot be used; keeping the previous value",
              {{"error", v.error()}});
    return value_;
  }
  if (*v != value_) log::info("secret file changed: using the new value", {{"path", path_}});
  value_ = std::move(*v);
  seen_ = *st;
  return value_;
}

}  // namespace riposte
