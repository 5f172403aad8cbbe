#include "detector/rules/open_paths.h"

#include <algorithm>
#include <limits>

namespace riposte::detector::rules {
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

}  // namespace riposte::detector::rules
