// The UI's authentication: one admin account, no default password. The admin's password is
// stored only as a salted PBKDF2-HMAC-SHA256 hash in the RIPOSTE_UI key-value bucket; it is
// set either from a file (--ui-password-file, a mounted Secret: the file wins at every start)
// or, on first run, through the setup page with a one-time token that only the logs show.
// Sessions are HMAC-SHA256-signed cookies (key in the same bucket, shared by every replica);
// each session has a CSRF token derived from it that state-changing requests must send.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"

namespace riposte::ui {

// Where credentials live (the KV bucket; a map in unit tests).
class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  virtual Result<std::optional<std::string>> get(const std::string& key) = 0;
  // Fails when the key exists: the first of several replicas wins.
  virtual Status create(const std::string& key, const std::string& value) = 0;
  virtual Status put(const std::string& key, const std::string& value) = 0;
};

struct Session {
  std::string user;
  int64_t expires_s = 0;
  std::string nonce;
};

// Salted PBKDF2 hash record ({"alg","iterations","salt","hash"} as JSON) and its check.
std::string hash_password(const std::string& password, int iterations = 200000);
bool verify_password(const std::string& record, const std::string& password);
// Hex of n random bytes (OpenSSL's RAND_bytes).
std::string random_hex(size_t bytes);

class Auth {
 public:
  static constexpr const char* kAdmin = "admin";
  static constexpr size_t kMinPasswordLength = 12;
  static constexpr int64_t kSessionSeconds = 12 * 3600;

  explicit Auth(CredentialStore* store) : store_(store) {}
  // Loads (or creates) the session key; with a password file, stores its hash; otherwise,
  // when no admin exists yet, makes the one-time setup token.
  Status init(const std::string& password_file);
  bool needs_setup();
  // The one-time token the setup page asks for ("" once an admin exists).
  const std::string& setup_token() const { return setup_token_; }

  // Each returns the cookie value of a new session.
  Result<std::string> setup(const std::string& token, const std::string& password);
  Result<std::string> login(const std::string& user, const std::string& password);
  std::optional<Session> check(const std::string& cookie, int64_t now_s) const;
  std::string csrf_token(const Session& s) const;
  bool check_csrf(const Session& s, const std::string& token) const;

 private:
  std::string new_session(const std::string& user, int64_t now_s) const;
  std::string sign(const std::string& text) const;

  CredentialStore* store_;
  std::string key_;  // session signing key (raw bytes)
  std::string setup_token_;
};

}  // namespace riposte::ui
