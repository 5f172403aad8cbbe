// Step parameters templated from the alert:
//   message: "shell in {{ output_fields['k8s.ns.name'] }}/{{ output_fields['k8s.pod.name'] }}"
// Variables: output_fields['KEY'] (or "KEY"), rule, priority, source, hostname, output, time,
// uuid, tags (comma-separated). A field that is absent or null is an error at render time,
// never an empty string: an action must not run on a half-filled request. Templates are
// parsed when the playbook loads, so a typo is a load error with its position.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/alert.h"
#include "common/result.h"

namespace riposte::playbook {

class Template {
 public:
  static Result<Template> parse(std::string_view text);
  // True when text holds a "{{": only such strings are parsed as templates.
  static bool is_template(std::string_view text) { return text.find("{{") != std::string_view::npos; }

  Result<std::string> render(const Alert& alert) const;

 private:
  struct Part {
    bool variable = false;
    std::string text;   // literal text, or the variable name
    std::string field;  // output_fields key for variable "output_fields"
  };
  std::vector<Part> parts_;
};

// Parse errors of every templated string scalar below node (map values and list items; keys
// are never templates), with the scalar's position; *templated collects the positions of the
// templated scalars, whose type an action can only check once rendered.
struct TemplateError {
  YAML::Mark mark;
  std::string message;
};
void check_templates(const YAML::Node& node, std::vector<TemplateError>* errors,
                     std::vector<YAML::Mark>* templated);

// A deep copy of params with every templated scalar rendered; the first failure otherwise.
Result<YAML::Node> render_params(const YAML::Node& params, const Alert& alert);

}  // namespace riposte::playbook
