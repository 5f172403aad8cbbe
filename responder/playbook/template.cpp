#include "responder/playbook/template.h"

#include <algorithm>
#include <array>

namespace riposte::playbook {
namespace {

constexpr std::array<std::string_view, 8> kVariables = {
    "rule", "priority", "source", "hostname", "output", "time", "uuid", "tags"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// "output_fields['k8s.pod.name']" -> "k8s.pod.name"
Result<std::string> field_key(std::string_view expr) {
  constexpr std::string_view kPrefix = "output_fields[";
  std::string_view rest = expr.substr(kPrefix.size());
  if (rest.size() < 3 || (rest.front() != '\'' && rest.front() != '"') || rest.back() != ']') {
    return Error{"expected output_fields['KEY'] in \"" + std::string(expr) + "\""};
  }
  const char quote = rest.front();
  rest = trim(rest.substr(1, rest.size() - 2));  // drop the opening quote and the ']'
  if (rest.empty() || rest.back() != quote) {
    return Error{"unterminated quote in \"" + std::string(expr) + "\""};
  }
  rest.remove_suffix(1);
  if (rest.empty()) return Error{"empty output_fields key"};
  if (rest.find(quote) != std::string_view::npos) {
    return Error{"quote inside the output_fields key in \"" + std::string(expr) + "\""};
  }
  return std::string(rest);
}

}  // namespace

Result<Template> Template::parse(std::string_view text) {
  Template t;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      t.parts_.push_back({false, std::string(text.substr(pos)), ""});
      break;
    }
    if (open > pos) t.parts_.push_back({false, std::string(text.substr(pos, open - pos)), ""});
    const size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return Error{"template: \"{{\" at offset " + std::to_string(open) + " has no \"}}\""};
    }
    const std::string_view expr = trim(text.substr(open + 2, close - open - 2));
    Part part{true, std::string(expr), ""};
    if (expr.substr(0, 14) == "output_fields[") {
      auto key = field_key(expr);
      if (!key) return Error{"template: " + key.error()};
      part.text = "output_fields";
      part.field = std::move(*key);
    } else if (std::find(kVariables.begin(), kVariables.end(), expr) == kVariables.end()) {
      return Error{"template: unknown variable \"" + std::string(expr.substr(0, 64)) +
                   "\" (known: output_fields['KEY'], rule, priority, source, hostname, output, "
                   "time, uuid, tags)"};
    }
    t.parts_.push_back(std::move(part));
    pos = close + 2;
  }
  return t;
}

Result<std::string> Template::render(const Alert& alert) const {
  std::string out;
  for (const Part& p : parts_) {
    if (!p.variable) {
      out += p.text;
    } else if (p.text == "output_fields") {
      std::string v;
      if (!alert.field_string(p.field, &v)) {
        return Error{"template: alert field \"" + p.field.substr(0, 64) + "\" is undefined"};
      }
      out += v;
    } else if (p.text == "rule") {
      out += alert.rule;
    } else if (p.text == "priority") {
      out += priority_name(alert.priority);
    } else if (p.text == "source") {
      out += alert.source;
    } else if (p.text == "hostname") {
      if (alert.hostname.empty()) return Error{"template: alert has no hostname"};
      out += alert.hostname;
    } else if (p.text == "output") {
      out += alert.output;
    } else if (p.text == "time") {
      out += format_rfc3339_ns(alert.time_ns);
    } else if (p.text == "uuid") {
      if (alert.uuid.empty()) return Error{"template: alert has no uuid"};
      out += alert.uuid;
    } else if (p.text == "tags") {
      for (size_t i = 0; i < alert.tags.size(); ++i) out += (i ? "," : "") + alert.tags[i];
    }
  }
  return out;
}

void check_templates(const YAML::Node& node, std::vector<TemplateError>* errors,
                     std::vector<YAML::Mark>* templated) {
  if (!node.IsDefined()) return;
  if (node.IsScalar()) {
    if (!Template::is_template(node.Scalar())) return;
    templated->push_back(node.Mark());
    if (auto t = Template::parse(node.Scalar()); !t) errors->push_back({node.Mark(), t.error()});
  } else if (node.IsMap()) {
    for (const auto& kv : node) check_templates(kv.second, errors, templated);
  } else if (node.IsSequence()) {
    for (const auto& item : node) check_templates(item, errors, templated);
  }
}

Result<YAML::Node> render_params(const YAML::Node& params, const Alert& alert) {
  if (!params.IsDefined() || params.IsNull()) return params;
  if (params.IsScalar()) {
    if (!Template::is_template(params.Scalar())) return YAML::Clone(params);
    auto t = Template::parse(params.Scalar());
    if (!t) return t.err();
    auto s = t->render(alert);
    if (!s) return s.err();
    return YAML::Node(*s);
  }
  YAML::Node out(params.IsMap() ? YAML::NodeType::Map : YAML::NodeType::Sequence);
  if (params.IsMap()) {
    for (const auto& kv : params) {
      auto v = render_params(kv.second, alert);
      if (!v) return Error{kv.first.Scalar() + ": " + v.error()};
      out[YAML::Clone(kv.first)] = *v;
    }
  } else {
    for (const auto& item : params) {
      auto v = render_params(item, alert);
      if (!v) return v;
      out.push_back(*v);
    }
  }
  return out;
}

}  // namespace riposte::playbook
