#include "common/node_action.h"

#include <array>
#include <set>

namespace riposte {
namespace {

constexpr std::array<std::pair<NodeAction, std::string_view>, 5> kNames = {{
    {NodeAction::kProcessKill, "process.kill"},
    {NodeAction::kContainerKill, "container.kill"},
    {NodeAction::kContainerFreeze, "container.freeze"},
    {NodeAction::kContainerThaw, "container.thaw"},
    {NodeAction::kForensicsCapture, "forensics.capture"},
}};

constexpr std::array<std::pair<NodeActionReply::Outcome, std::string_view>, 4> kOutcomes = {{
    {NodeActionReply::kDone, "done"},
    {NodeActionReply::kDryRun, "dry_run"},
    {NodeActionReply::kRefused, "refused"},
    {NodeActionReply::kFailed, "failed"},
}};

bool is_hex(std::string_view s) {
  return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// A strict reader of one JSON object: every key read is ticked off, the rest is an error.
class ObjectReader {
 public:
  ObjectReader(const nlohmann::json& j, std::string* error) : j_(j), error_(error) {}

  std::string str(const char* key, size_t max, bool required = false) {
    auto it = find(key, required);
    if (it == j_.end()) return "";
    if (!it->is_string()) return fail(key, "must be a string"), "";
    const auto& s = it->get_ref<const std::string&>();
    if (s.size() > max) return fail(key, "is longer than " + std::to_string(max)), "";
    return s;
  }
  int64_t num(const char* key, int64_t min, int64_t max) {
    auto it = find(key, false);
    if (it == j_.end()) return 0;
    if (!it->is_number_integer()) return fail(key, "must be an integer"), 0;
    const int64_t v = it->get<int64_t>();
    if (v < min || v > max) return fail(key, "is out of range"), 0;
    return v;
  }
  bool boolean(const char* key) {
    auto it = find(key, false);
    if (it == j_.end()) return false;
    if (!it->is_boolean()) return fail(key, "must be true or false"), false;
    return it->get<bool>();
  }
  std::vector<std::string> strings(const char* key, size_t max_items, size_t max_len) {
    std::vector<std::string> out;
    auto it = find(key, false);
    if (it == j_.end()) return out;
    if (!it->is_array() || it->size() > max_items) {
      return fail(key, "must be a list of at most " + std::to_string(max_items) + " strings"), out;
    }
    for (const auto& v : *it) {
      if (!v.is_string() || v.get_ref<const std::string&>().size() > max_len) {
        return fail(key, "must hold strings of at most " + std::to_string(max_len)), out;
      }
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  nlohmann::json any(const char* key) {
    auto it = find(key, false);
    return it == j_.end() ? nlohmann::json() : *it;
  }
  void fail(const std::string& key, const std::string& why) {
    if (error_->empty()) *error_ = "\"" + key + "\" " + why;
  }
  void reject_unknown() {
    for (const auto& [k, v] : j_.items()) {
      if (!seen_.contains(k)) fail(k, "is not a known key");
    }
  }

 private:
  nlohmann::json::const_iterator find(const char* key, bool required) {
    seen_.insert(key);
    auto it = j_.find(key);
    if (it == j_.end() && required) fail(key, "is missing");
    return it;
  }
  const nlohmann::json& j_;
  std::string* error_;
  std::set<std::string, std::less<>> seen_;
};

Result<nlohmann::json> parse_object(std::string_view json, size_t max, const char* what) {
  if (json.size() > max) {
    return Error{std::string(what) + " is larger than " + std::to_string(max) + " bytes"};
  }
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error{std::string(what) + " is not a JSON object"};
  return j;
}

}  // namespace

std::string_view node_action_name(NodeAction a) {
  for (const auto& [k, n] : kNames) {
    if (k == a) return n;
  }
  return "?";
}

std::optional<NodeAction> parse_node_action(std::string_view name) {
  for (const auto& [k, n] : kNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

std::string_view outcome_name(NodeActionReply::Outcome o) {
  for (const auto& [k, n] : kOutcomes) {
    if (k == o) return n;
  }
  return "?";
}

Result<std::string> node_action_subject(std::string_view node) {
  if (node.empty() || node.size() > 253 ||
      node.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string_view::npos ||
      node.front() == '.' || node.back() == '.' || node.find("..") != std::string_view::npos) {
    return Error{"\"" + std::string(node.substr(0, 64)) + "\" is not a node name"};
  }
  // A node name may hold dots, which would split the subject's node token; '_' is never in
  // a node name, so the mapping is one to one.
  std::string token(node);
  for (char& c : token) {
    if (c == '.') c = '_';
  }
  return "riposte.node." + token + ".action";
}

nlohmann::json to_json(const NodeActionRequest& r) {
  nlohmann::json j = {{"id", r.id}, {"action", node_action_name(r.action)}, {"node", r.node}};
  if (r.pid != 0) j["pid"] = r.pid;
  if (r.start_time_ns != 0) j["start_time_ns"] = r.start_time_ns;
  if (r.started_before_ns != 0) j["started_before_ns"] = r.started_before_ns;
  if (!r.container_id.empty()) j["container_id"] = r.container_id;
  if (r.allow_host) j["allow_host"] = true;
  if (r.dry_run) j["dry_run"] = true;
  if (!r.protected_namespaces.empty()) j["protected_namespaces"] = r.protected_namespaces;
  if (!r.allowed_namespaces.empty()) j["allowed_namespaces"] = r.allowed_namespaces;
  if (!r.playbook.empty()) j["playbook"] = r.playbook;
  return j;
}

Result<NodeActionRequest> parse_node_action_request(std::string_view json) {
  auto j = parse_object(json, kMaxNodeActionRequestBytes, "the request");
  if (!j) return j.err();
  std::string error;
  ObjectReader r(*j, &error);
  NodeActionRequest q;
  q.id = r.str("id", 512, true);
  const std::string action = r.str("action", 64, true);
  q.node = r.str("node", 253, true);
  q.pid = r.num("pid", 0, (1 << 22));  // PID_MAX_LIMIT
  q.start_time_ns = r.num("start_time_ns", 0, INT64_MAX);
  q.started_before_ns = r.num("started_before_ns", 0, INT64_MAX);
  q.container_id = r.str("container_id", 64);
  q.allow_host = r.boolean("allow_host");
  q.dry_run = r.boolean("dry_run");
  q.protected_namespaces = r.strings("protected_namespaces", 256, 63);
  q.allowed_namespaces = r.strings("allowed_namespaces", 256, 63);
  q.playbook = r.str("playbook", 253);
  r.reject_unknown();
  if (!error.empty()) return Error{error};
  auto kind = parse_node_action(action);
  if (!kind) return Error{"\"action\" \"" + action.substr(0, 64) + "\" is not a node action"};
  q.action = *kind;
  if (auto subject = node_action_subject(q.node); !subject)
    return Error{"\"node\" " + subject.error()};
  if (!q.container_id.empty() &&
      ((q.container_id.size() != 12 && q.container_id.size() != 64) || !is_hex(q.container_id))) {
    return Error{"\"container_id\" must be 12 or 64 lowercase hex digits"};
  }
  const bool about_process =
      q.action == NodeAction::kProcessKill || q.action == NodeAction::kForensicsCapture;
  if (about_process && q.pid == 0) return Error{"\"pid\" is required for " + action};
  if (q.pid != 0 && q.start_time_ns == 0 && q.started_before_ns == 0) {
    // A bare pid could be anybody's by now.
    return Error{"a \"pid\" needs \"start_time_ns\" or \"started_before_ns\""};
  }
  if (!about_process && q.pid == 0 && q.container_id.empty()) {
    return Error{"\"container_id\" or \"pid\" is required for " + action};
  }
  return q;
}

nlohmann::json to_json(const NodeActionReply& r) {
  nlohmann::json j = {{"id", r.id},
                      {"outcome", outcome_name(r.outcome)},
                      {"reason", r.reason},
                      {"targets", r.targets}};
  if (!r.detail.is_null()) j["detail"] = r.detail;
  return j;
}

Result<NodeActionReply> parse_node_action_reply(std::string_view json) {
  auto j = parse_object(json, kMaxNodeActionReplyBytes, "the reply");
  if (!j) return j.err();
  std::string error;
  ObjectReader r(*j, &error);
  NodeActionReply a;
  a.id = r.str("id", 512, true);
  const std::string outcome = r.str("outcome", 32, true);
  a.reason = r.str("reason", 4096);
  a.targets = r.strings("targets", 4096, 256);
  a.detail = r.any("detail");
  r.reject_unknown();
  if (!error.empty()) return Error{error};
  for (const auto& [k, n] : kOutcomes) {
    if (n == outcome) {
      a.outcome = k;
      return a;
    }
  }
  return Error{"\"outcome\" \"" + outcome.substr(0, 32) + "\" is unknown"};
}

}  // namespace riposte
