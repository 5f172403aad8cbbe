#include "detector/state/environ.h"

namespace riposte::detector {

std::vector<std::string> split_environ(std::string_view block) {
  std::vector<std::string> out;
  if (!block.empty() && block.back() == '\0') block.remove_suffix(1);
  if (block.empty()) return out;
  size_t start = 0;
  while (true) {
    const size_t end = block.find('\0', start);
    out.emplace_back(block.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace riposte::detector
