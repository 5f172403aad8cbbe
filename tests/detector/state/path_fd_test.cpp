#include <fcntl.h>
#include <gtest/gtest.h>

#include "detector/state/fd_table.h"
#include "detector/state/path.h"

namespace riposte::detector {
namespace {

std::string norm(std::string_view base, std::string_view path) {
  std::string out;
  normalize_path(base, path, &out);
  return out;
}

TEST(Path, FoldsLikeFalco) {
  EXPECT_EQ(norm("/tmp", "/etc/shadow"), "/etc/shadow");
  EXPECT_EQ(norm("/tmp", "../etc//shadow"), "/etc/shadow");
  EXPECT_EQ(norm("/var/www/html", "../../../etc/./passwd"), "/etc/passwd");
  EXPECT_EQ(norm("/", "../../.."), "/");
  EXPECT_EQ(norm("/root", "x"), "/root/x");
  EXPECT_EQ(norm("/root/", "a/b/"), "/root/a/b");
  EXPECT_EQ(norm("/root", ""), "");
}

TEST(FdTable, PutGetEraseAndCloexec) {
  FdTable t;
  FdInfo* a = t.put(3);
  ASSERT_NE(a, nullptr);
  a->name = "/etc/hosts";
  a->open_flags = O_RDONLY | O_CLOEXEC;
  FdInfo* b = t.put(5000);  // beyond the direct slots
  ASSERT_NE(b, nullptr);
  b->name = "/high";
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.get(3)->name, "/etc/hosts");
  EXPECT_EQ(t.get(3)->num, 3);
  EXPECT_EQ(t.get(5000)->name, "/high");
  EXPECT_EQ(t.get(4), nullptr);
  EXPECT_EQ(t.put(-1), nullptr);
  // a reused slot starts clean
  t.erase(3);
  EXPECT_EQ(t.get(3), nullptr);
  FdInfo* c = t.put(3);
  EXPECT_EQ(c->name, "");
  EXPECT_EQ(c->open_flags, 0u);
  c->open_flags = O_CLOEXEC;
  t.erase_cloexec();
  EXPECT_EQ(t.get(3), nullptr);
  EXPECT_NE(t.get(5000), nullptr);
  EXPECT_EQ(t.size(), 1u);
}

TEST(FdTable, HighFdsAreBounded) {
  FdTable t;
  for (int64_t fd = FdTable::kDirect; fd < FdTable::kDirect + static_cast<int64_t>(FdTable::kMaxOther); ++fd) {
    ASSERT_NE(t.put(fd), nullptr);
  }
  EXPECT_EQ(t.put(FdTable::kDirect + static_cast<int64_t>(FdTable::kMaxOther)), nullptr);
  EXPECT_NE(t.put(FdTable::kDirect), nullptr) << "an fd already kept can be replaced";
}

}  // namespace
}  // namespace riposte::detector
