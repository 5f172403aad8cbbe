// Which process names an exec must have for a rule to match it: the kernel-side exec hold
// (bpf/exec.bpf.c) stops only those execs, so that an enforcing rule decides before the new
// program runs while every other exec pays nothing. Like open_paths.h, a necessary condition
// derived from the compiled condition (necessary_set.h), for the exec event riposte makes
// (execve, exit direction): proc.name (the kernel's comm) and proc.pname (its parent's).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace riposte::detector::rules {

class NameSet {
 public:
  static NameSet any();
  static NameSet none() { return {}; }
  // Names as the kernel keeps them: cut to 15 bytes (TASK_COMM_LEN - 1).
  static NameSet of(const std::vector<std::string>& names);

  bool is_any() const { return any_; }
  const std::vector<std::string>& names() const { return names_; }  // sorted, unique
  bool admits(std::string_view comm) const;
  void add(const NameSet& o);
  size_t weight() const;

 private:
  bool any_ = false;
  std::vector<std::string> names_;
};

struct ExecNames {
  NameSet name;   // proc.name
  NameSet pname;  // proc.pname
  void add(const ExecNames& o) {
    name.add(o.name);
    pname.add(o.pname);
  }
};

}  // namespace riposte::detector::rules
