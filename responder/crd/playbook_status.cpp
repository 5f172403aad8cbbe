#include "responder/crd/playbook_status.h"

namespace riposte::responder::crd {
namespace {

constexpr size_t kMaxMessage = 32768;  // the CRD schema's maxLength

std::string message_of(const PlaybookObject& o) {
  if (o.accepted()) return "the playbook is in force";
  std::string m;
  for (const auto& e : o.errors) m += (m.empty() ? "" : "; ") + e;
  if (m.size() > kMaxMessage) m = m.substr(0, kMaxMessage - 3) + "...";
  return m;
}

const nlohmann::json* find_condition(const nlohmann::json& status, const std::string& type) {
  if (!status.is_object()) return nullptr;
  auto conditions = status.find("conditions");
  if (conditions == status.end() || !conditions->is_array()) return nullptr;
  for (const auto& c : *conditions) {
    if (c.is_object() && c.value("type", "") == type) return &c;
  }
  return nullptr;
}

template <typename T>
bool member_is(const nlohmann::json& obj, const char* key, const T& want) {
  auto it = obj.find(key);
  if (it == obj.end()) return false;
  if constexpr (std::is_same_v<T, int64_t>) {
    return it->is_number_integer() && it->get<int64_t>() == want;
  } else {
    return it->is_string() && it->get<std::string>() == want;
  }
}

}  // namespace

std::optional<nlohmann::json> status_patch(const PlaybookObject& o, const std::string& now) {
  const std::string status = o.accepted() ? "True" : "False";
  const std::string reason = o.accepted() ? "Valid" : "Invalid";
  const std::string message = message_of(o);
  const nlohmann::json* current = find_condition(o.status, kAcceptedCondition);
  if (current && o.status.is_object() && member_is(o.status, "observedGeneration", o.generation) &&
      member_is(*current, "status", status) && member_is(*current, "reason", reason) &&
      member_is(*current, "message", message) &&
      member_is(*current, "observedGeneration", o.generation)) {
    return std::nullopt;
  }
  std::string since = now;
  if (current && member_is(*current, "status", status)) {
    since = current->value("lastTransitionTime", now);
  }
  nlohmann::json conditions = nlohmann::json::array();
  // Conditions of other types are someone else's: kept as they are.
  if (o.status.is_object()) {
    if (auto cs = o.status.find("conditions"); cs != o.status.end() && cs->is_array()) {
      for (const auto& c : *cs) {
        if (c.is_object() && c.value("type", "") != kAcceptedCondition) conditions.push_back(c);
      }
    }
  }
  conditions.push_back({{"type", kAcceptedCondition},
                        {"status", status},
                        {"reason", reason},
                        {"message", message},
                        {"observedGeneration", o.generation},
                        {"lastTransitionTime", since}});
  return nlohmann::json{{"metadata", {{"resourceVersion", o.resource_version}}},
                        {"status", {{"observedGeneration", o.generation},
                                    {"conditions", conditions}}}};
}

}  // namespace riposte::responder::crd
