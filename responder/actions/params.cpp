#include "responder/actions/params.h"

namespace riposte::actions {
namespace {

// Plain decimal only: YAML's other spellings (0x10, 1e3, 0o7) are surprising in a playbook.
std::optional<int64_t> parse_int(const std::string& s) {
  size_t i = s.size() > 1 && s[0] == '-' ? 1 : 0;
  if (i == s.size() || s.size() - i > 18) return std::nullopt;  // no overflow
  int64_t v = 0;
  for (size_t j = i; j < s.size(); ++j) {
    if (s[j] < '0' || s[j] > '9') return std::nullopt;
    v = v * 10 + (s[j] - '0');
  }
  return i ? -v : v;
}

// Absent lookups in yaml-cpp are "zombie" nodes that throw on anything but IsDefined().
bool is_map(const YAML::Node& n) { return n.IsDefined() && n.IsMap(); }

}  // namespace

ParamReader::ParamReader(const YAML::Node& params, std::vector<ParamError>* errors)
    : params_(params), errors_(errors) {
  if (params_.IsDefined() && !params_.IsNull() && !params_.IsMap()) {
    error(params_, "params must be a mapping");
  }
}

YAML::Node ParamReader::lookup(const std::string& key) {
  known_.insert(key);
  if (!is_map(params_)) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node& map = params_;
  return map[key];
}

void ParamReader::error(const YAML::Node& at, std::string message) {
  error(at.Mark(), std::move(message));
}

void ParamReader::error(const YAML::Mark& at, std::string message) {
  if (errors_) errors_->push_back({at, std::move(message)});
}

std::optional<int64_t> ParamReader::integer(const std::string& key, int64_t min, int64_t max) {
  YAML::Node v = lookup(key);
  if (!v.IsDefined()) return std::nullopt;
  auto n = v.IsScalar() ? parse_int(v.Scalar()) : std::nullopt;
  if (!n || *n < min || *n > max) {
    error(v, "\"" + key + "\" must be an integer from " + std::to_string(min) + " to " +
                 std::to_string(max));
    return std::nullopt;
  }
  return n;
}

std::optional<bool> ParamReader::boolean(const std::string& key) {
  YAML::Node v = lookup(key);
  if (!v.IsDefined()) return std::nullopt;
  bool b = false;
  if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b)) {
    error(v, "\"" + key + "\" must be true or false");
    return std::nullopt;
  }
  return b;
}

std::optional<std::string> ParamReader::string(const std::string& key) {
  YAML::Node v = lookup(key);
  if (!v.IsDefined()) return std::nullopt;
  if (!v.IsScalar()) {
    error(v, "\"" + key + "\" must be a string");
    return std::nullopt;
  }
  return v.Scalar();
}

std::optional<std::string> ParamReader::one_of(const std::string& key,
                                               std::initializer_list<std::string_view> choices) {
  YAML::Node v = lookup(key);
  if (!v.IsDefined()) return std::nullopt;
  std::string list;
  for (auto c : choices) {
    if (v.IsScalar() && v.Scalar() == c) return v.Scalar();
    list += (list.empty() ? "" : ", ") + std::string(c);
  }
  error(v, "\"" + key + "\" must be one of: " + list);
  return std::nullopt;
}

std::optional<std::vector<std::string>> ParamReader::string_list(const std::string& key) {
  YAML::Node v = lookup(key);
  if (!v.IsDefined()) return std::nullopt;
  if (!v.IsSequence()) {
    error(v, "\"" + key + "\" must be a list of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (const YAML::Node& item : v) {
    if (!item.IsScalar()) {
      error(item, "\"" + key + "\" entries must be strings");
      ok = false;
      continue;
    }
    out.push_back(item.Scalar());
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<ParamEntry>> ParamReader::string_map(const std::string& key) {
  YAML::Node v = lookup(key);
  if (!v.IsDefined()) return std::nullopt;
  if (!v.IsMap() || v.size() == 0) {
    error(v, "\"" + key + "\" must be a non-empty mapping of strings to strings");
    return std::nullopt;
  }
  std::vector<ParamEntry> out;
  bool ok = true;
  for (const auto& kv : v) {
    if (!kv.first.IsScalar() || !kv.second.IsScalar()) {
      error(kv.first, "\"" + key + "\" entries must map a string to a string");
      ok = false;
      continue;
    }
    out.push_back({kv.first.Scalar(), kv.second.Scalar(), kv.first.Mark()});
  }
  if (!ok) return std::nullopt;
  return out;
}

YAML::Mark ParamReader::mark_of(const std::string& key) {
  YAML::Node v = lookup(key);
  if (v.IsDefined()) return v.Mark();
  return params_.IsDefined() ? params_.Mark() : YAML::Mark::null_mark();
}

void ParamReader::missing(const std::string& key) {
  // A failed lookup is an invalid node whose Mark() throws: only ask defined ones.
  error(params_.IsDefined() ? params_.Mark() : YAML::Mark::null_mark(),
        "\"" + key + "\" is required");
}

void ParamReader::reject_unknown() {
  if (!is_map(params_)) return;
  for (const auto& kv : params_) {
    const std::string key = kv.first.Scalar();
    if (known_.count(key) == 0) {
      std::string list;
      for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
      error(kv.first, "unknown param \"" + key + "\"" +
                          (list.empty() ? " (this action takes none)" : " (known: " + list + ")"));
    }
  }
}

}  // namespace riposte::actions
