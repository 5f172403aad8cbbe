#include "responder/crd/playbook_object.h"

#include "responder/crd/spec_text.h"

namespace riposte::responder::crd {
namespace {

std::string string_at(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Early feedback for what the guardrails would refuse at run time anyway: a namespaced
// Playbook acts only on objects of its namespace, and nodes are cluster-scoped.
void check_confinement(const nlohmann::json& spec, std::vector<std::string>* errors) {
  auto enforce = spec.find("enforce");
  const nlohmann::json host = enforce != spec.end() && enforce->is_object()
                                  ? enforce->value("host", nlohmann::json())
                                  : nlohmann::json();
  if (host.is_boolean() && host.get<bool>()) {
    errors->push_back(
        "spec.enforce.host: host processes are outside every namespace: only a "
        "ClusterPlaybook may");
  }
  auto steps = spec.find("steps");
  if (steps == spec.end() || !steps->is_array()) return;
  for (size_t i = 0; i < steps->size(); ++i) {
    const nlohmann::json& step = (*steps)[i];
    if (!step.is_object()) continue;
    const std::string at = "spec.steps[" + std::to_string(i) + "]";
    const std::string action = string_at(step, "action");
    if (action.rfind("node.", 0) == 0) {
      errors->push_back(at + ".action: " + action +
                        " acts on a node, which is cluster-scoped: only a ClusterPlaybook may");
    }
    auto params = step.find("params");
    if (params != step.end() && params->is_object() && string_at(*params, "level") == "node") {
      errors->push_back(at + ".params.level: \"node\" acts on a node, which is cluster-scoped: "
                        "only a ClusterPlaybook may");
    }
  }
}

}  // namespace

const char* kind_name(Kind kind) {
  return kind == Kind::kPlaybook ? "Playbook" : "ClusterPlaybook";
}

const char* resource_name(Kind kind) {
  return kind == Kind::kPlaybook ? "playbooks" : "clusterplaybooks";
}

std::string ObjectRef::str() const {
  return std::string(kind_name(kind)) + "/" + (namespace_.empty() ? "" : namespace_ + "/") + name;
}

std::optional<PlaybookObject> parse_object(const nlohmann::json& object, Kind kind,
                                           const actions::ActionRegistry& registry) {
  if (!object.is_object()) return std::nullopt;
  const nlohmann::json md = object.value("metadata", nlohmann::json::object());
  if (!md.is_object()) return std::nullopt;
  PlaybookObject out;
  out.ref.kind = kind;
  out.ref.name = string_at(md, "name");
  out.ref.namespace_ = kind == Kind::kPlaybook ? string_at(md, "namespace") : "";
  if (out.ref.name.empty() || (kind == Kind::kPlaybook && out.ref.namespace_.empty())) {
    return std::nullopt;
  }
  out.uid = string_at(md, "uid");
  out.resource_version = string_at(md, "resourceVersion");
  if (auto g = md.find("generation"); g != md.end() && g->is_number_integer()) {
    out.generation = g->get<int64_t>();
  }
  if (auto s = object.find("status"); s != object.end()) out.status = *s;

  const nlohmann::json spec = object.value("spec", nlohmann::json());
  const SpecText text = spec_text(spec, out.ref.str());
  playbook::LoadResult loaded = playbook::parse_playbooks(text.yaml, out.ref.str(), registry);
  for (const auto& d : loaded.errors) out.errors.push_back(text.path_at(d.line) + ": " + d.message);
  if (kind == Kind::kPlaybook && spec.is_object()) check_confinement(spec, &out.errors);
  if (out.errors.empty() && loaded.playbooks.size() == 1) {
    out.playbook = std::move(loaded.playbooks.front());
    out.playbook->origin = out.ref.str();
    out.playbook->namespace_ = out.ref.namespace_;
  } else if (out.errors.empty()) {
    out.errors.push_back("spec: not one playbook");  // cannot happen: the text is one mapping
  }
  return out;
}

}  // namespace riposte::responder::crd
