#include "responder/actions/metadata.h"

#include <nlohmann/json.hpp>

#include "responder/actions/subject.h"

namespace riposte::actions {
namespace {

// Annotations are capped at 256 KiB in total by the API server; one value from a playbook
// has no business being near that.
constexpr size_t kMaxAnnotationValue = 16 * 1024;

bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// IsQualifiedName's name part and IsValidLabelValue's pattern: ([A-Za-z0-9][-A-Za-z0-9_.]*)?
// [A-Za-z0-9], at most 63.
Status name_part(std::string_view s, std::string_view what) {
  if (s.size() > 63) {
    return Error{std::string(what) + " must be at most 63 characters, is " +
                 std::to_string(s.size())};
  }
  bool ok = !s.empty() && alnum(s.front()) && alnum(s.back());
  for (char c : s) ok = ok && (alnum(c) || c == '-' || c == '_' || c == '.');
  if (!ok) {
    return Error{std::string(what) + " must be letters, digits, '-', '_' and '.', starting "
                 "and ending with a letter or digit"};
  }
  return Status::Ok();
}

bool reserved(std::string_view prefix) {
  auto under = [&](std::string_view domain) {
    return prefix == domain || (prefix.size() > domain.size() &&
                                prefix.substr(prefix.size() - domain.size() - 1) ==
                                    "." + std::string(domain));
  };
  return under("kubernetes.io") || under("k8s.io");
}

}  // namespace

Status validate_metadata_key(std::string_view key) {
  std::string_view name = key;
  if (size_t slash = key.find('/'); slash != std::string_view::npos) {
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (auto ok = validate_name(prefix, NameKind::kSubdomain); !ok) {
      return Error{"key prefix " + ok.error()};
    }
    if (reserved(prefix)) {
      return Error{"key prefix \"" + std::string(prefix) +
                   "\" is reserved for Kubernetes components"};
    }
  }
  return name_part(name, "key name");
}

Status validate_label_value(std::string_view value) {
  if (value.empty()) return Status::Ok();
  return name_part(value, "label value");
}

std::string metadata_patch(std::string_view field,
                           const std::vector<std::pair<std::string, std::string>>& entries) {
  nlohmann::ordered_json values = nlohmann::ordered_json::object();
  for (const auto& [k, v] : entries) values[k] = v;
  nlohmann::ordered_json patch = {{"metadata", {{std::string(field), values}}}};
  // Annotation values may carry alert text: never let invalid UTF-8 throw.
  return patch.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool is_template(std::string_view value) {
  return value.find("{{") != std::string_view::npos;
}

MetadataAction::Options MetadataAction::parse(const YAML::Node& params, bool at_load,
                                              std::vector<ParamError>* errors) const {
  ParamReader r(params, errors);
  Options o;
  const std::string key(field_);
  auto entries = r.string_map(key);
  if (!entries && !r.has_errors()) r.missing(key);
  for (const auto& e : entries.value_or(std::vector<ParamEntry>{})) {
    if (auto ok = validate_metadata_key(e.key); !ok) {
      r.error(e.mark, "\"" + e.key + "\": " + ok.error());
    }
    const bool check_value = !(at_load && is_template(e.value));
    if (check_value && labels()) {
      if (auto ok = validate_label_value(e.value); !ok) {
        r.error(e.mark, "\"" + e.key + "\": " + ok.error());
      }
    } else if (check_value && e.value.size() > kMaxAnnotationValue) {
      r.error(e.mark, "\"" + e.key + "\": annotation value longer than 16 KiB");
    }
    o.entries.emplace_back(e.key, e.value);
  }
  o.on_node = r.one_of("level", {"pod", "node"}).value_or("pod") == "node";
  r.reject_unknown();
  return o;
}

std::vector<ParamError> MetadataAction::validate(const YAML::Node& params) const {
  std::vector<ParamError> errors;
  parse(params, /*at_load=*/true, &errors);
  return errors;
}

ActionResult MetadataAction::execute(ActionContext& ctx) const {
  // Checked again: the engine may have filled templates in since load.
  std::vector<ParamError> errors;
  const Options opts = parse(ctx.params, /*at_load=*/false, &errors);
  if (!errors.empty()) {
    return ActionResult::failed("invalid " + std::string(field_) + ": " + errors[0].message);
  }
  const std::string doing = labels() ? "labelling" : "annotating";
  const std::string body = metadata_patch(field_, opts.entries);
  ActionResult result;
  if (opts.on_node) {
    auto node = node_of_alert_pod(ctx, doing + " the node of", &result);
    if (!node) return result;
    auto sent = write(ctx, &result, "PATCH", node_ref(*node), body, std::string(kMergePatch));
    if (!sent) return finish_dry_run(&result, "would set " + std::string(field_) + " on node " + *node);
    if (!sent->ok()) {
      fail(&result, doing + " node " + *node, *sent->error);
    } else {
      result.message = "set " + std::to_string(opts.entries.size()) + " " +
                       std::string(field_) + " on node " + *node;
    }
    return result;
  }
  auto target = guarded_pod(ctx, doing, &result);
  if (!target) return result;
  const std::string pod = target->namespace_ + "/" + target->name;
  auto sent = write(ctx, &result, "PATCH", pod_ref(*target), body, std::string(kMergePatch));
  if (!sent) return finish_dry_run(&result, "would set " + std::string(field_) + " on pod " + pod);
  if (sent->is(kube::KubeError::kNotFound)) {
    result.status = ActionResult::kSkipped;
    result.message = "pod " + pod + " already gone";
  } else if (!sent->ok()) {
    fail(&result, doing + " pod " + pod, *sent->error);
  } else {
    result.message =
        "set " + std::to_string(opts.entries.size()) + " " + std::string(field_) + " on pod " + pod;
  }
  return result;
}

}  // namespace riposte::actions
