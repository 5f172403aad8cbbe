// The UI's credentials: hashes, first-run setup, sessions and CSRF tokens.
#include "ui/auth.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

namespace riposte::ui {
namespace {

class MapStore : public CredentialStore {
 public:
  Result<std::optional<std::string>> get(const std::string& key) override {
    auto it = m.find(key);
    if (it == m.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status create(const std::string& key, const std::string& value) override {
    if (!m.emplace(key, value).second) return Error{"key exists"};
    return {};
  }
  Status put(const std::string& key, const std::string& value) override {
    m[key] = value;
    return {};
  }
  std::map<std::string, std::string> m;
};

TEST(UiAuth, HashIsSaltedAndChecked) {
  const std::string a = hash_password("correct horse battery", 1000);
  EXPECT_NE(a, hash_password("correct horse battery", 1000));
  EXPECT_TRUE(verify_password(a, "correct horse battery"));
  EXPECT_FALSE(verify_password(a, "correct horse batterY"));
  EXPECT_EQ(a.find("correct"), std::string::npos);
  EXPECT_FALSE(verify_password("{}", ""));
}

TEST(UiAuth, FirstRunNeedsTheTokenThenLogsIn) {
  MapStore store;
  Auth auth(&store);
  ASSERT_TRUE(auth.init("").ok());
  ASSERT_TRUE(auth.needs_setup());
  ASSERT_EQ(auth.setup_token().size(), 32u);
  EXPECT_FALSE(auth.setup("wrong", "long enough password").ok());
  EXPECT_FALSE(auth.setup(auth.setup_token(), "short").ok());
  EXPECT_FALSE(auth.login("admin", "admin").ok()) << "no default password";
  const std::string token = auth.setup_token();
  auto cookie = auth.setup(token, "long enough password");
  ASSERT_TRUE(cookie.ok()) << cookie.error();
  EXPECT_FALSE(auth.needs_setup());
  EXPECT_FALSE(auth.setup(token, "another long password").ok()) << "setup is once";
  EXPECT_TRUE(auth.login("admin", "long enough password").ok());
  EXPECT_FALSE(auth.login("admin", "wrong password!!").ok());
  EXPECT_FALSE(auth.login("root", "long enough password").ok());
}

TEST(UiAuth, SessionsAreSignedAndExpire) {
  MapStore store;
  Auth auth(&store);
  ASSERT_TRUE(auth.init("").ok());
  auto cookie = auth.setup(auth.setup_token(), "long enough password");
  ASSERT_TRUE(cookie.ok());
  auto s = auth.check(*cookie, 0);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->user, "admin");
  EXPECT_FALSE(auth.check(*cookie, s->expires_s).has_value());
  std::string forged = *cookie;
  forged[0] = 'b';
  EXPECT_FALSE(auth.check(forged, 0).has_value());
  EXPECT_FALSE(auth.check("", 0).has_value());
  EXPECT_TRUE(auth.check_csrf(*s, auth.csrf_token(*s)));
  EXPECT_FALSE(auth.check_csrf(*s, ""));
  // Another replica with the same bucket accepts the session.
  Auth other(&store);
  ASSERT_TRUE(other.init("").ok());
  EXPECT_TRUE(other.check(*cookie, 0).has_value());
  EXPECT_TRUE(other.setup_token().empty());
}

TEST(UiAuth, PasswordFileWins) {
  MapStore store;
  const std::string path = ::testing::TempDir() + "/ui-password";
  std::ofstream(path) << "from the secret file\n";
  Auth auth(&store);
  ASSERT_TRUE(auth.init(path).ok());
  EXPECT_TRUE(auth.setup_token().empty());
  EXPECT_TRUE(auth.login("admin", "from the secret file").ok());
  std::ofstream(path) << "short\n";
  Auth weak(&store);
  EXPECT_FALSE(weak.init(path).ok());
}

}  // namespace
}  // namespace riposte::ui
