// SyscallEvents' fd table without close records: an fd closed and reused unseen is caught by
// the kernel's identity of the fd (inode, device) in the record that uses it, and its entry
// is rebuilt (type and tuple from the record, a file's name from a fabricated /proc).
#include "detector/event/syscall_events.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cstring>
#include <filesystem>

#include "tests/detector/syscall_record_builder.h"
#include "tests/support/test_util.h"

namespace riposte::detector {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kPid = 500;

class SyscallEventsTest : public ::testing::Test {
 protected:
  SyscallEventsTest() : reader_(proc_.path()), events_(&reader_, &refreshed_) {
    proc_info_.pid = kPid;
    proc_info_.cwd = "/";
    fs::create_directories(proc_.path() + "/" + std::to_string(kPid) + "/fd");
  }

  static SyscallRecord sc(long nr, int64_t res, const std::vector<uint64_t>& args) {
    return testing::syscall_record(kPid, nr, res, args);
  }
  // The record says fd `num` is the file at `path` (as the kernel would: its inode).
  static void describe(SyscallRecord* r, int32_t num, const std::string& path,
                       KernelFd::Type type = KernelFd::Type::kFile) {
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0) << path;
    r->fd.num = num;
    r->fd.type = type;
    r->fd.ino = st.st_ino;
    r->fd.dev = st.st_dev;
  }
  // An absolute open that returned fd `num`, with the identity of `ino`.
  const FdInfo* open(const std::string& path, int64_t num, uint64_t ino, uint32_t flags = O_RDONLY) {
    SyscallRecord r = sc(SYS_openat, num, {static_cast<uint64_t>(AT_FDCWD), 0, flags, 0});
    r.str1 = path;
    r.fd.num = static_cast<int32_t>(num);
    r.fd.ino = ino;
    r.fd.dev = 1;
    return build(r);
  }
  // /proc/<pid>/fd/<num> now points at target: the process reused the fd unseen.
  void proc_fd(int64_t num, const std::string& target) {
    const std::string link = proc_.path() + "/" + std::to_string(kPid) + "/fd/" + std::to_string(num);
    fs::remove(link);
    fs::create_symlink(target, link);
  }
  const FdInfo* build(const SyscallRecord& r) {
    EXPECT_TRUE(events_.build(r, &proc_info_, &fds_, &ev_));
    return ev_.fd;
  }

  testing::TempDir proc_, files_;
  ProcReader reader_;
  Counter refreshed_;
  SyscallEvents events_;
  ProcessInfo proc_info_;
  FdTable fds_;
  Event ev_;
};

TEST_F(SyscallEventsTest, OpenRecordsTheFilesIdentity) {
  open("/etc/hostname", 3, 77);
  ASSERT_NE(fds_.get(3), nullptr);
  EXPECT_EQ(fds_.get(3)->ino, 77u);
  EXPECT_EQ(fds_.get(3)->dev, 1u);
}

TEST_F(SyscallEventsTest, FdReusedByAnotherFileIsRenamedOnDup) {
  open("/etc/hostname", 3, 77);
  // close(3) unseen; fd 3 is now the shadow file, opened by a call we did not see either
  const std::string shadow = files_.write("shadow", "x");
  proc_fd(3, shadow);
  proc_fd(0, shadow);
  SyscallRecord d = sc(SYS_dup2, 0, {3, 0});
  describe(&d, 0, shadow);  // the kernel describes the new fd: the same file as fd 3
  const FdInfo* fd = build(d);
  ASSERT_NE(fd, nullptr);
  EXPECT_EQ(fd->name, shadow);
  EXPECT_EQ(fd->type, FdType::kFile);
  EXPECT_EQ(fds_.get(0)->ino, d.fd.ino);
  EXPECT_EQ(refreshed_.value(), 1);
}

TEST_F(SyscallEventsTest, FdReusedByASocketIsTheSocketOnConnect) {
  open("/etc/hostname", 4, 77);
  SyscallRecord c = sc(SYS_connect, 0, {4});
  c.fd.num = 4;
  c.fd.ino = 9001;
  testing::tcp4(&c.fd, "\x0a\x00\x00\x05", 40000, "\xc0\x00\x02\x01", 4444);
  const FdInfo* fd = build(c);
  ASSERT_NE(fd, nullptr);
  EXPECT_EQ(fd->type, FdType::kIpv4);
  EXPECT_EQ(fd->name, "10.0.0.5:40000->192.0.2.1:4444");
  EXPECT_EQ(fd->open_flags, 0u) << "nothing left of the file";
  EXPECT_EQ(fd->ino, 9001u);
  EXPECT_EQ(refreshed_.value(), 1);
}

TEST_F(SyscallEventsTest, FdReusedByAnotherFileIsRenamedOnFchmod) {
  open("/tmp/harmless", 5, 77, O_WRONLY | O_CREAT);
  const std::string passwd = files_.write("passwd", "root:x:0:0");
  proc_fd(5, passwd);
  SyscallRecord m = sc(SYS_fchmod, 0, {5, 0777});
  describe(&m, 5, passwd);
  const FdInfo* fd = build(m);
  ASSERT_NE(fd, nullptr);
  EXPECT_EQ(fd->name, passwd);
  EXPECT_EQ(fds_.get(5)->name, passwd) << "the table's entry is rebuilt, not a copy";
  EXPECT_EQ(refreshed_.value(), 1);
}

TEST_F(SyscallEventsTest, ProcLinkToYetAnotherFileGivesNoName) {
  open("/tmp/harmless", 5, 77);
  const std::string passwd = files_.write("passwd", "x");
  proc_fd(5, files_.write("other", "y"));  // fd 5 changed again before we looked
  SyscallRecord m = sc(SYS_fchmod, 0, {5, 0777});
  describe(&m, 5, passwd);
  const FdInfo* fd = build(m);
  ASSERT_NE(fd, nullptr);
  EXPECT_EQ(fd->name, "") << "no name rather than another file's";
  EXPECT_EQ(fd->ino, m.fd.ino);
}

TEST_F(SyscallEventsTest, ReusedDirfdResolvesUnlinkatInTheNewDirectory) {
  SyscallRecord o = sc(SYS_openat, 7, {static_cast<uint64_t>(AT_FDCWD), 0, O_RDONLY | O_DIRECTORY, 0});
  o.str1 = "/tmp";
  o.fd.num = 7;
  o.fd.ino = 55;
  build(o);
  // close(7) unseen; 7 is now another directory
  const std::string etc = files_.path() + "/etc";
  fs::create_directories(etc);
  proc_fd(7, etc);
  SyscallRecord u = sc(SYS_unlinkat, 0, {7, 0, 0});
  u.str1 = "passwd";
  describe(&u, 7, etc, KernelFd::Type::kDirectory);
  build(u);
  EXPECT_EQ(ev_.args.path, etc + "/passwd");
  EXPECT_EQ(refreshed_.value(), 1);
}

TEST_F(SyscallEventsTest, RenameatChecksItsSecondDirfdToo) {
  const std::string src = files_.path() + "/src", etc = files_.path() + "/etc";
  fs::create_directories(src);
  fs::create_directories(etc);
  for (int64_t num : {7, 8}) {
    SyscallRecord o = sc(SYS_openat, num, {static_cast<uint64_t>(AT_FDCWD), 0, O_RDONLY | O_DIRECTORY, 0});
    o.str1 = "/tmp";
    o.fd.num = static_cast<int32_t>(num);
    o.fd.ino = 50 + num;
    build(o);
  }
  // close(8) unseen; 8 is now etc. renameat(7, "x", 8, "passwd"): the record describes fd 7
  // (src) and carries fd 8's identity as the second dirfd.
  proc_fd(7, src);
  proc_fd(8, etc);
  SyscallRecord r = sc(SYS_renameat, 0, {7, 0, 8, 0});
  r.str1 = "x";
  r.str2 = "passwd";
  describe(&r, 7, src, KernelFd::Type::kDirectory);
  struct stat st {};
  ASSERT_EQ(stat(etc.c_str(), &st), 0);
  r.dir2.num = 8;
  r.dir2.ino = st.st_ino;
  r.dir2.dev = st.st_dev;
  r.dir2.type = KernelFd::Type::kDirectory;
  build(r);
  EXPECT_EQ(ev_.args.path, src + "/x");
  EXPECT_EQ(ev_.args.path2, etc + "/passwd");
  EXPECT_EQ(refreshed_.value(), 2);
}

TEST_F(SyscallEventsTest, MatchingIdentityKeepsTheEntry) {
  SyscallRecord o = sc(SYS_openat, 3, {static_cast<uint64_t>(AT_FDCWD), 0, O_RDONLY, 0});
  o.str1 = "../etc/shadow";
  o.fd.num = 3;
  o.fd.ino = 77;
  proc_info_.cwd = "/tmp";
  build(o);
  SyscallRecord d = sc(SYS_dup2, 0, {3, 0});
  d.fd.num = 0;
  d.fd.ino = 77;
  d.fd.type = KernelFd::Type::kFile;
  const FdInfo* fd = build(d);
  ASSERT_NE(fd, nullptr);
  EXPECT_EQ(fd->name, "/etc/shadow");
  EXPECT_EQ(fd->nameraw, "../etc/shadow") << "a copy of the entry, not a rebuild";
  SyscallRecord m = sc(SYS_fchmod, 0, {3, 0600});
  m.fd.num = 3;
  m.fd.ino = 77;
  m.fd.type = KernelFd::Type::kFile;
  EXPECT_EQ(build(m)->name, "/etc/shadow");
  EXPECT_EQ(refreshed_.value(), 0) << "no /proc entry was needed";
}

TEST_F(SyscallEventsTest, AnonymousInodesAlsoCompareTheirKind) {
  SyscallRecord e = sc(SYS_eventfd2, 6, {0, 0});
  e.fd.num = 6;
  e.fd.ino = 12;
  e.fd.type = KernelFd::Type::kAnon;
  e.fd.hint = "[eventfd]";
  build(e);
  // closed and reused by an epoll fd: the same (shared) anonymous inode
  SyscallRecord d = sc(SYS_dup, 9, {6});
  d.fd = e.fd;
  d.fd.num = 9;
  d.fd.hint = "[eventpoll]";
  const FdInfo* fd = build(d);
  ASSERT_NE(fd, nullptr);
  EXPECT_EQ(fd->type, FdType::kEventpoll);
  EXPECT_EQ(refreshed_.value(), 1);
}

}  // namespace
}  // namespace riposte::detector
