// Which open(2) paths the loaded rules can possibly match: the kernel-side open filter
// (bpf/syscall.bpf.c) drops every other open before it costs a ring-buffer record.
//
// The set is a necessary condition derived from each rule's compiled condition, never a
// sufficient one: an open outside it cannot make any rule true, one inside still goes through
// the rules. It is computed separately for read-only opens and for opens with write access
// (O_WRONLY / O_RDWR), because most file rules need one or the other (evt.is_open_read,
// evt.is_open_write). Paths whose fd.name differs from the bytes the caller passed (relative,
// or with "//", "/." or "..") are "irregular": the kernel never filters them, so a condition
// that only irregular paths satisfy (fd.nameraw contains "../") admits nothing more here.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace riposte::detector::rules {

class PathSet {
 public:
  static PathSet any();
  static PathSet none() { return {}; }
  // Paths starting with one of `prefixes` (an empty prefix means any path).
  static PathSet of(std::vector<std::string> prefixes);

  bool is_any() const { return any_; }
  // Sorted; none is a prefix of another. Empty and !is_any(): no regular path.
  const std::vector<std::string>& prefixes() const { return prefixes_; }
  bool admits(std::string_view path) const;  // what the kernel decides for a regular path
  void add(const PathSet& o);                // union
  // For picking the narrowest operand of an `and` (any is the widest).
  size_t weight() const;

 private:
  void normalise();
  bool any_ = false;
  std::vector<std::string> prefixes_;
};

// The kernel passes these whatever the rules: their fd.name is not their raw bytes.
bool is_irregular_path(std::string_view raw);

// For open, openat and openat2 (creat and open_by_handle_at are never filtered).
struct OpenPaths {
  PathSet read;   // O_RDONLY opens
  PathSet write;  // O_WRONLY and O_RDWR opens (an access mode of 3 is never filtered)
};

}  // namespace riposte::detector::rules
