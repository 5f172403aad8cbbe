#include "common/yaml_guard.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <sstream>

namespace riposte {
namespace {

// The loop shows as an endless run of empty documents that all start at the same position.
class ProgressCheck : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& m) override {
    start = m;
    only_null = true;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { only_null = false; }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {
    only_null = false;
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    only_null = false;
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    only_null = false;
  }
  void OnMapEnd() override {}

  YAML::Mark start;
  bool only_null = true;
};

}  // namespace

std::optional<YamlStall> find_yaml_stall(const std::string& text) {
  std::istringstream in(text);
  ProgressCheck h;
  int prev_pos = -1;
  size_t docs = 0;
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(h)) {
      const bool stalled = h.only_null && docs > 0 && h.start.pos == prev_pos;
      // A stream cannot hold more documents than it has bytes.
      if (stalled || ++docs > text.size() + 1) return YamlStall{h.start.line, h.start.column};
      prev_pos = h.start.pos;
    }
  } catch (const YAML::Exception&) {
    // Not a stall; the real parse reports it with its position.
  }
  return std::nullopt;
}

}  // namespace riposte
