#include "detector/rules/output.h"

#include <algorithm>
#include <cctype>

namespace riposte::detector::rules {

bool OutputFormat::compile(std::string_view fmt, std::string* error, size_t* error_pos,
                           RuleSource source) {
  tokens_.clear();
  field_names_.clear();
  size_t base = 0;
  if (!fmt.empty() && fmt[0] == '*') {
    fmt.remove_prefix(1);
    base = 1;
  }
  std::string lit;
  size_t i = 0;
  while (i < fmt.size()) {
    char c = fmt[i];
    if (c != '%') {
      lit += c;
      ++i;
      continue;
    }
    size_t start = i;
    ++i;
    if (i >= fmt.size()) {
      *error = "invalid formatting syntax: formatting cannot end with a %";
      *error_pos = base + start;
      return false;
    }
    int width = 0;
    while (i < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[i]))) {
      width = width * 10 + (fmt[i] - '0');
      if (width > 4096) width = 4096;
      ++i;
    }
    if (i >= fmt.size()) {
      *error = "invalid formatting syntax: formatting cannot end with a number";
      *error_pos = base + start;
      return false;
    }
    ResolvedField rf;
    size_t consumed = 0;
    std::string err;
    if (!resolve_field_prefix(fmt.substr(i), &rf, &consumed, &err) ||
        !field_in_source(rf, source, &err)) {
      *error = "invalid formatting token %" + std::string(fmt.substr(i, 30)) + ": " + err;
      *error_pos = base + start;
      return false;
    }
    i += consumed;
    if (rf.name == "container.info") continue;  // legacy placeholder, renders as nothing
    if (!lit.empty()) {
      tokens_.push_back(Token{std::move(lit), false, {}, 0});
      lit.clear();
    }
    if (std::find(field_names_.begin(), field_names_.end(), rf.name) == field_names_.end())
      field_names_.push_back(rf.name);
    tokens_.push_back(Token{{}, true, std::move(rf), width});
  }
  if (!lit.empty()) tokens_.push_back(Token{std::move(lit), false, {}, 0});
  return true;
}

namespace {

nlohmann::ordered_json to_json_value(const FieldValue& v) {
  switch (v.type) {
    case FieldType::kBool:
      return v.flag;
    case FieldType::kInt:
    case FieldType::kPort:
    case FieldType::kAbsTime:
    case FieldType::kRelTime:
      return v.num;
    case FieldType::kIp:
    case FieldType::kIpNet: {
      std::string s;
      format_ip(v.ip, &s);
      return s;
    }
    case FieldType::kString:
    case FieldType::kBytes:
      break;
  }
  return std::string(v.str);
}

}  // namespace

void OutputFormat::render(const EvalContext& ctx, std::string* text,
                          nlohmann::ordered_json* fields) const {
  EvalScratch& s = *ctx.scratch;
  for (const auto& t : tokens_) {
    if (!t.is_field) {
      *text += t.literal;
      continue;
    }
    s.reset();
    const bool list = renders_as_list(t.field);
    size_t n = extract_field(t.field, ctx, s.lhs, list ? kMaxFieldValues : t.field.multi ? 1 : 4);
    size_t before = text->size();
    if (n == 0) {
      *text += "<NA>";
    } else if (list) {
      *text += '(';
      for (size_t k = 0; k < n; ++k) {
        if (k > 0) *text += ',';
        append_value_text(s.lhs[k], text);
      }
      *text += ')';
    } else {
      append_value_text(s.lhs[0], text);
    }
    if (t.width > 0) {
      size_t len = text->size() - before;
      size_t w = static_cast<size_t>(t.width);
      if (len > w) text->resize(before + w);
      else text->append(w - len, ' ');
    }
    if (fields != nullptr && !fields->contains(t.field.name)) {
      if (n == 0)
        (*fields)[t.field.name] = nullptr;
      else if (list)  // as it reads in the text: "(a,b)"
        (*fields)[t.field.name] = text->substr(before);
      else
        (*fields)[t.field.name] = to_json_value(s.lhs[0]);
    }
  }
}

}  // namespace riposte::detector::rules
