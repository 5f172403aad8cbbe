#include "detector/rules/exec_names.h"

#include <algorithm>
#include <limits>

#include "detector/rules/check.h"
#include "detector/rules/necessary_set.h"

namespace riposte::detector::rules {
using namespace detail;
namespace {

constexpr size_t kCommMax = 15;  // TASK_COMM_LEN - 1
// Beyond this many names the kernel's map is no filter worth having.
constexpr size_t kMaxNames = 1024;

NameSet names_for(const Check& c, std::string_view field) {
  if (c.field.name != field || c.rhs_is_field || !c.xforms.empty()) return NameSet::any();
  if (c.op == Op::kEq || c.op == Op::kIn) return NameSet::of(c.strs);
  return NameSet::any();
}

}  // namespace

NameSet NameSet::any() {
  NameSet s;
  s.any_ = true;
  return s;
}

NameSet NameSet::of(const std::vector<std::string>& names) {
  NameSet s;
  for (const std::string& n : names) s.names_.push_back(n.substr(0, kCommMax));
  std::sort(s.names_.begin(), s.names_.end());
  s.names_.erase(std::unique(s.names_.begin(), s.names_.end()), s.names_.end());
  if (s.names_.size() > kMaxNames) return any();
  return s;
}

bool NameSet::admits(std::string_view comm) const {
  return any_ || std::binary_search(names_.begin(), names_.end(), comm.substr(0, kCommMax));
}

void NameSet::add(const NameSet& o) {
  if (any_) return;
  if (o.any_) {
    *this = any();
    return;
  }
  std::vector<std::string> all = names_;
  all.insert(all.end(), o.names_.begin(), o.names_.end());
  *this = of(all);
}

size_t NameSet::weight() const { return any_ ? std::numeric_limits<size_t>::max() : names_.size(); }

ExecNames Filter::exec_names() const {
  if (!prog_) return {NameSet::any(), NameSet::any()};
  return {necessary_set<NameSet>(*prog_, fold_for_exec,
                                 [](const Check& c) { return names_for(c, "proc.name"); }),
          necessary_set<NameSet>(*prog_, fold_for_exec,
                                 [](const Check& c) { return names_for(c, "proc.pname"); })};
}

}  // namespace riposte::detector::rules
