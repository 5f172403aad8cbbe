#include "detector/state/path.h"

namespace riposte::detector {
namespace {

// Appends the components of `p` to *out, which holds a normalized absolute path.
void append_components(std::string_view p, std::string* out) {
  while (!p.empty()) {
    const size_t slash = p.find('/');
    const std::string_view part = p.substr(0, slash);
    p = slash == std::string_view::npos ? std::string_view() : p.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      const size_t last = out->rfind('/');
      out->resize(last == 0 || last == std::string::npos ? 1 : last);
      continue;
    }
    if (out->size() > 1) out->push_back('/');
    out->append(part);
  }
}

}  // namespace

void normalize_path(std::string_view base, std::string_view path, std::string* out) {
  out->clear();
  if (path.empty()) return;
  out->push_back('/');
  if (path.front() != '/') append_components(base, out);
  append_components(path, out);
}

}  // namespace riposte::detector
