#include "ui/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/secret_file.h"

namespace riposte::ui {
namespace {

std::string to_hex(const unsigned char* p, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

std::string pbkdf2(const std::string& password, const std::string& salt, int iterations) {
  unsigned char out[32];
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), iterations, EVP_sha256(), sizeof out, out);
  return to_hex(out, sizeof out);
}

bool equal_secret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status check_new_password(const std::string& password) {
  if (password.size() < Auth::kMinPasswordLength)
    return Error{"the password must have at least " + std::to_string(Auth::kMinPasswordLength) +
                 " characters"};
  if (password.size() > 1024) return Error{"the password is longer than 1024 characters"};
  return {};
}

constexpr const char* kSessionKey = "session-key";
std::string admin_key() { return std::string("user.") + Auth::kAdmin; }

}  // namespace

std::string random_hex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(bytes)) != 1) std::abort();  // no entropy: unsafe
  return to_hex(buf.data(), bytes);
}

std::string hash_password(const std::string& password, int iterations) {
  const std::string salt = random_hex(16);
  return nlohmann::json{{"alg", "pbkdf2-sha256"},
                        {"iterations", iterations},
                        {"salt", salt},
                        {"hash", pbkdf2(password, salt, iterations)}}
      .dump();
}

bool verify_password(const std::string& record, const std::string& password) {
  auto j = nlohmann::json::parse(record, nullptr, false);
  if (!j.is_object() || j.value("alg", "") != "pbkdf2-sha256") return false;
  const int iterations = j.value("iterations", 0);
  if (iterations < 1000 || iterations > 10000000) return false;
  return equal_secret(pbkdf2(password, j.value("salt", ""), iterations), j.value("hash", ""));
}

Status Auth::init(const std::string& password_file) {
  auto key = store_->get(kSessionKey);
  if (!key) return Error{"UI credentials: " + key.error()};
  if (!*key) {
    // Several replicas may start at once: the first key stored is everyone's.
    (void)store_->create(kSessionKey, random_hex(32));
    key = store_->get(kSessionKey);
    if (!key || !*key) return Error{"UI credentials: the session key could not be stored"};
  }
  key_ = **key;
  if (!password_file.empty()) {
    SecretFile file(password_file);
    if (Status st = file.load(); !st.ok()) return Error{"--ui-password-file: " + st.error()};
    const std::string password = file.current();
    if (Status st = check_new_password(password); !st.ok())
      return Error{"--ui-password-file: " + st.error()};
    auto current = store_->get(admin_key());
    if (!current) return Error{"UI credentials: " + current.error()};
    if (!*current || !verify_password(**current, password)) {
      if (Status st = store_->put(admin_key(), hash_password(password)); !st.ok())
        return Error{"UI credentials: " + st.error()};
    }
    return {};
  }
  if (needs_setup()) setup_token_ = random_hex(16);
  return {};
}

bool Auth::needs_setup() {
  auto admin = store_->get(admin_key());
  return admin && !*admin;
}

Result<std::string> Auth::setup(const std::string& token, const std::string& password) {
  if (setup_token_.empty() || !needs_setup()) return Error{"setup is done: log in"};
  if (!equal_secret(token, setup_token_))
    return Error{"wrong setup token (see the responder's log)"};
  if (Status st = check_new_password(password); !st.ok()) return Error{st.error()};
  if (Status st = store_->create(admin_key(), hash_password(password)); !st.ok())
    return Error{"setup is done: log in"};
  setup_token_.clear();
  return new_session(kAdmin, now_seconds());
}

Result<std::string> Auth::login(const std::string& user, const std::string& password) {
  auto record = store_->get("user." + user);
  // The same answer for an unknown user and a wrong password.
  if (user != kAdmin || !record || !*record || !verify_password(**record, password))
    return Error{"wrong user or password"};
  return new_session(user, now_seconds());
}

std::string Auth::sign(const std::string& text) const {
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &len);
  return to_hex(mac, len);
}

std::string Auth::new_session(const std::string& user, int64_t now_s) const {
  const std::string text =
      user + "." + std::to_string(now_s + kSessionSeconds) + "." + random_hex(16);
  return text + "." + sign(text);
}

std::optional<Session> Auth::check(const std::string& cookie, int64_t now_s) const {
  if (key_.empty() || cookie.size() > 512) return std::nullopt;
  const auto last = cookie.rfind('.');
  if (last == std::string::npos) return std::nullopt;
  const std::string text = cookie.substr(0, last);
  if (!equal_secret(sign(text), cookie.substr(last + 1))) return std::nullopt;
  const auto a = text.find('.'), b = text.rfind('.');
  if (a == std::string::npos || a == b) return std::nullopt;
  Session s;
  s.user = text.substr(0, a);
  s.expires_s = std::strtoll(text.c_str() + a + 1, nullptr, 10);
  s.nonce = text.substr(b + 1);
  if (s.expires_s <= now_s) return std::nullopt;
  return s;
}

std::string Auth::csrf_token(const Session& s) const { return sign("csrf." + s.nonce); }

bool Auth::check_csrf(const Session& s, const std::string& token) const {
  return equal_secret(csrf_token(s), token);
}

}  // namespace riposte::ui
