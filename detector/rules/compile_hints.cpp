// Hints about constants, following libsinsp's filter compiler (filter.cpp,
// check_warnings_regex_value / _field_value / _transformer_value): the same heuristics, so
// riposte warns where Falco warns.
#include "detector/rules/compile_hints.h"

#include <algorithm>
#include <cctype>

#include "detector/rules/fields.h"
#include "detector/rules/parser.h"

namespace riposte::detector::rules {

namespace {

// A pattern whose only regex syntax is anchors at its ends and `.*`/`.+`/`.?` at either end
// is a plain equality, containment, prefix or suffix check.
bool regex_is_simple(std::string_view v) {
  constexpr std::string_view kSpecial = ".+*?^$()[]{}|\\";
  constexpr std::string_view kOccurrence = "+*?";
  const size_t len = v.size();
  for (size_t i = 0; i < len; ++i) {
    if ((i == 0 && v[i] == '^') || (i == len - 1 && v[i] == '$')) continue;
    if (((i == 0 && len > 1) || (len >= 2 && i == len - 2)) && v[i] == '.' &&
        kOccurrence.find(v[i + 1]) != std::string_view::npos) {
      ++i;
      continue;
    }
    if (kSpecial.find(v[i]) != std::string_view::npos) return false;
  }
  return true;
}

bool is_field_name(const std::string& s) {
  // Cheap filter first: field names have a dot and start with a letter.
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0])) ||
      s.find('.') == std::string::npos)
    return false;
  ResolvedField f;
  size_t consumed = 0;
  std::string err;
  return resolve_field_prefix(s, &f, &consumed, &err) && consumed == s.size();
}

bool looks_like_transformer(const std::string& s) {
  if (s.size() < 3 || s.back() != ')') return false;
  size_t open = s.find('(');
  return open != std::string::npos && is_transformer_name(std::string_view(s).substr(0, open));
}

}  // namespace

std::vector<std::string> value_hints(detail::Op op, std::string_view value) {
  std::vector<std::string> out;
  const std::string v(value);
  std::string nospaces = v;
  nospaces.erase(std::remove_if(nospaces.begin(), nospaces.end(),
                                [](unsigned char ch) { return std::isspace(ch) != 0; }),
                 nospaces.end());
  if (op == detail::Op::kRegex && regex_is_simple(v))
    out.push_back("regex check with '" + v +
                  "' may be optimized with simpler operators such as '=', 'contains', "
                  "'startswith', 'endswith'");
  if (is_field_name(nospaces))
    out.push_back("'" + v + "' may be a valid field misused as a const string value");
  if (looks_like_transformer(nospaces))
    out.push_back("'" + v + "' may be a valid field transformer misused as a const string value");
  return out;
}

}  // namespace riposte::detector::rules
