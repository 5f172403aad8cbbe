// Labels and annotations: Kubernetes' syntax rules for keys and values, the merge patch that
// sets them, and the shared body of pod.label and pod.annotate (which differ only in the
// field they write).
//   params: labels | annotations (mapping, required), level: pod (default) | node
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "responder/actions/action.h"
#include "responder/actions/params.h"

namespace riposte::actions {

// apimachinery's IsQualifiedName ("[prefix/]name": prefix a DNS-1123 subdomain, name at most
// 63 of [A-Za-z0-9-_.] starting and ending alphanumeric), and not under kubernetes.io or
// k8s.io, which Kubernetes reserves for itself (node.kubernetes.io/..., topology...).
Status validate_metadata_key(std::string_view key);
// IsValidLabelValue: empty, or a name part as above (at most 63).
Status validate_label_value(std::string_view value);

// {"metadata":{"<field>":{k:v,...}}}, a JSON merge patch (null values remove keys).
std::string metadata_patch(std::string_view field,
                           const std::vector<std::pair<std::string, std::string>>& entries);

// True when the engine may still substitute something into the value ("{{ ... }}"): such
// values are checked when the action runs, with the substitution done.
bool is_template(std::string_view value);

class MetadataAction : public Action {
 public:
  std::vector<ParamError> validate(const YAML::Node& params) const override;
  ActionResult execute(ActionContext& ctx) const override;

 protected:
  // field: "labels" or "annotations" (the param and the metadata field share the name).
  explicit MetadataAction(std::string_view field) : field_(field) {}

 private:
  struct Options {
    std::vector<std::pair<std::string, std::string>> entries;
    bool on_node = false;
  };
  // at_load: template values pass; at run time every value must be valid.
  Options parse(const YAML::Node& params, bool at_load, std::vector<ParamError>* errors) const;
  bool labels() const { return field_ == "labels"; }

  std::string_view field_;
};

}  // namespace riposte::actions
