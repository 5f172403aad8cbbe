#include "detector/rules/open_paths.h"

#include <algorithm>
#include <limits>

#include "detector/rules/check.h"
#include "detector/rules/necessary_set.h"

namespace riposte::detector::rules {
using namespace detail;
namespace {

// Beyond this many prefixes the kernel's trie would cost more than it saves.
constexpr size_t kMaxPrefixes = 4096;

}  // namespace

PathSet PathSet::any() {
  PathSet s;
  s.any_ = true;
  return s;
}

PathSet PathSet::of(std::vector<std::string> prefixes) {
  PathSet s;
  s.prefixes_ = std::move(prefixes);
  s.normalise();
  return s;
}

bool PathSet::admits(std::string_view path) const {
  if (any_) return true;
  return std::any_of(prefixes_.begin(), prefixes_.end(),
                     [&](const std::string& p) { return path.substr(0, p.size()) == p; });
}

void PathSet::add(const PathSet& o) {
  if (any_) return;
  if (o.any_) {
    *this = any();
    return;
  }
  prefixes_.insert(prefixes_.end(), o.prefixes_.begin(), o.prefixes_.end());
  normalise();
}

size_t PathSet::weight() const { return any_ ? std::numeric_limits<size_t>::max() : prefixes_.size(); }

void PathSet::normalise() {
  if (any_) return;
  std::sort(prefixes_.begin(), prefixes_.end());
  prefixes_.erase(std::unique(prefixes_.begin(), prefixes_.end()), prefixes_.end());
  // Sorted, a prefix comes right before the strings it covers.
  std::vector<std::string> kept;
  for (auto& p : prefixes_) {
    if (!kept.empty() && std::string_view(p).substr(0, kept.back().size()) == kept.back()) continue;
    kept.push_back(std::move(p));
  }
  prefixes_ = std::move(kept);
  if (prefixes_.size() > kMaxPrefixes || (!prefixes_.empty() && prefixes_.front().empty())) *this = any();
}

bool is_irregular_path(std::string_view raw) {
  if (raw.empty() || raw.front() != '/') return true;
  return raw.find("//") != std::string_view::npos || raw.find("/.") != std::string_view::npos ||
         raw.find("..") != std::string_view::npos;
}

// ---- a compiled condition's open paths (Filter::open_paths) -------------------------------

namespace {

// What a check is for every open(2) of the access class, where that is decided: the event
// type (open, openat, openat2) and evt.is_open_read / evt.is_open_write.
Tri fold_for_open(const Check& c, bool write) {
  if (c.type_fast) return fold_event_type(c, EventTypeSet::opens());
  if (c.rhs_is_field || !c.xforms.empty() || c.nums.size() != 1 ||
      (c.op != Op::kEq && c.op != Op::kNe)) {
    return Tri::kUnknown;
  }
  const bool is_read = c.field.name == "evt.is_open_read";
  if (!is_read && c.field.name != "evt.is_open_write") return Tri::kUnknown;
  // O_RDONLY: reads, does not write. O_WRONLY / O_RDWR: writes; reads only with O_RDWR.
  // (An access mode of 3, neither, is never filtered by the kernel.)
  if (is_read && write) return Tri::kUnknown;
  const bool value = is_read ? true : write;
  return (value == (c.nums[0] != 0)) == (c.op == Op::kEq) ? Tri::kTrue : Tri::kFalse;
}

// "/usr/bin/" -> "/usr/bin"; "/" stays.
std::string without_trailing_slashes(std::string d) {
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  return d;
}

bool has_wildcard(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

// The literal start every path a pmatch pattern matches begins with: up to its first
// wildcard (a pattern's wildcards match inside one path component).
std::string pmatch_prefix(const std::string& d) {
  if (has_wildcard(d)) return d.substr(0, d.find_first_of("*?["));
  return without_trailing_slashes(d);
}

// The paths for which the check can hold (any when it does not constrain fd.name).
PathSet check_paths(const Check& c) {
  if (c.rhs_is_field || !c.xforms.empty()) return PathSet::any();
  const std::string& f = c.field.name;
  std::vector<std::string> prefixes;
  if (f == "fd.name") {
    switch (c.op) {
      case Op::kEq:
      case Op::kIn:
      case Op::kStartsWith:
        return PathSet::of(c.strs);
      case Op::kPMatch:  // "/usr/bin/" also matches "/usr/bin" itself
        for (const auto& d : c.strs) prefixes.push_back(pmatch_prefix(d));
        return PathSet::of(std::move(prefixes));
      case Op::kGlob:
        for (const auto& g : c.strs) prefixes.push_back(g.substr(0, g.find_first_of("*?[\\")));
        return PathSet::of(std::move(prefixes));
      default:
        return PathSet::any();
    }
  }
  if (f == "fd.directory" && (c.op == Op::kEq || c.op == Op::kIn || c.op == Op::kPMatch)) {
    for (const auto& s : c.strs) {
      if (c.op == Op::kPMatch && has_wildcard(s)) {
        prefixes.push_back(pmatch_prefix(s));
        continue;
      }
      const std::string d = without_trailing_slashes(s);
      if (d == "/") return PathSet::any();
      prefixes.push_back(d + "/");
    }
    return PathSet::of(std::move(prefixes));
  }
  if (f == "fd.nameraw" && c.op == Op::kContains && !c.strs.empty() &&
      std::all_of(c.strs.begin(), c.strs.end(), [](const std::string& s) {
        return s.find("..") != std::string::npos || s.find("//") != std::string::npos ||
               s.find("/.") != std::string::npos;
      })) {
    return PathSet::none();  // only irregular paths, which the kernel always passes
  }
  return PathSet::any();
}

PathSet open_paths_of(const Program& p, bool write) {
  return necessary_set<PathSet>(
      p, [write](const Check& c) { return fold_for_open(c, write); }, check_paths);
}

}  // namespace

OpenPaths Filter::open_paths() const {
  if (!prog_) return {PathSet::any(), PathSet::any()};
  return {open_paths_of(*prog_, false), open_paths_of(*prog_, true)};
}

}  // namespace riposte::detector::rules
