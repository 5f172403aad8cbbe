#include "common/alert.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <random>

#include <openssl/evp.h>

namespace riposte {
namespace {

constexpr std::array<std::string_view, 8> kPriorityNames = {
    "Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Days since 1970-01-01 for a civil date (proleptic Gregorian), Howard Hinnant's algorithm;
// timegm() would depend on the C library's handling of leap rules and TZ.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Result<std::string> get_string(const nlohmann::json& j, const char* key, bool required) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) return Error{std::string("missing field \"") + key + "\""};
    return std::string();
  }
  if (!it->is_string()) return Error{std::string("field \"") + key + "\" must be a string"};
  return it->get<std::string>();
}

}  // namespace

std::optional<Priority> parse_priority(std::string_view s) {
  for (size_t i = 0; i < kPriorityNames.size(); ++i) {
    if (iequals(s, kPriorityNames[i])) return static_cast<Priority>(i);
  }
  if (iequals(s, "info")) return Priority::kInformational;
  return std::nullopt;
}

std::string_view priority_name(Priority p) { return kPriorityNames[static_cast<size_t>(p)]; }

bool Alert::field_string(std::string_view key, std::string* out) const {
  auto it = output_fields.find(key);
  if (it == output_fields.end() || it->is_null()) return false;
  *out = it->is_string() ? it->get<std::string>() : it->dump();
  return true;
}

std::string format_rfc3339_ns(int64_t time_ns) {
  int64_t secs = time_ns / 1'000'000'000;
  int64_t nanos = time_ns % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    --secs;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(nanos));
  return buf;
}

std::optional<int64_t> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  auto digits = [&](size_t pos, size_t n, int* out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, mo, d, h, mi, se;
  if (!digits(0, 4, &y) || s.size() < 19 || s[4] != '-' || !digits(5, 2, &mo) || s[7] != '-' ||
      !digits(8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(11, 2, &h) ||
      s[13] != ':' || !digits(14, 2, &mi) || s[16] != ':' || !digits(17, 2, &se)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  // Nanoseconds since the epoch fit int64 only from 1677-09-21 to 2262-04-11 (found by fuzzing).
  if (y < 1678 || y > 2261) return std::nullopt;
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (n < 9) {
        nanos = nanos * 10 + (s[pos] - '0');
        ++n;
      }
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (; n < 9; ++n) nanos *= 10;
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(pos + 4, 2, &om)) {
      return std::nullopt;
    }
    offset = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  int64_t secs = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                 h * 3600 + mi * 60 + se - offset;
  return secs * 1'000'000'000 + nanos;
}

std::string rule_slug(std::string_view rule) {
  std::string out;
  out.reserve(rule.size());
  bool pending_sep = false;
  for (char c : rule) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9')) {
      if (pending_sep && !out.empty()) out.push_back('_');
      pending_sep = false;
      out.push_back(l);
    } else {
      pending_sep = true;
    }
  }
  return out;
}

std::string alert_subject(const Alert& a) {
  std::string p(priority_name(a.priority));
  std::transform(p.begin(), p.end(), p.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string slug = rule_slug(a.rule);
  return std::string(kAlertSubjectPrefix) + p + "." + (slug.empty() ? "unnamed" : slug);
}

std::string falco_text_line(const Alert& a) {
  // "2026-11-24T06:51:02.123456789Z" -> "06:51:02.123456789"
  std::string t = format_rfc3339_ns(a.time_ns);
  return t.substr(11, 18) + ": " + std::string(priority_name(a.priority)) + " " + a.output;
}

std::string alert_dedup_key(const Alert& a) {
  std::string material = a.hostname;
  for (const std::string* s : {&a.rule, &a.output}) {
    material.push_back('\0');
    material += *s;
  }
  material.push_back('\0');
  material += std::to_string(a.time_ns);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(material.data(), material.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string new_uuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

std::string to_json(const Alert& a) {
  nlohmann::ordered_json j;
  j["hostname"] = a.hostname;
  j["output"] = a.output;
  j["output_fields"] = a.output_fields;
  j["priority"] = priority_name(a.priority);
  j["rule"] = a.rule;
  j["source"] = a.source;
  j["tags"] = a.tags;
  j["time"] = format_rfc3339_ns(a.time_ns);
  j["uuid"] = a.uuid;
  // Invalid UTF-8 from the kernel (file names, args) must not make serialisation throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Alert> parse_alert(std::string_view json) {
  if (json.size() > kMaxAlertBytes) {
    return Error{"alert is " + std::to_string(json.size()) + " bytes, over the limit of " +
                 std::to_string(kMaxAlertBytes)};
  }
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error{"not valid JSON"};
  if (!j.is_object()) return Error{"alert must be a JSON object"};

  Alert a;
  auto rule = get_string(j, "rule", true);
  if (!rule) return rule.err();
  if (rule->empty()) return Error{"field \"rule\" is empty"};
  a.rule = std::move(*rule);

  auto prio = get_string(j, "priority", true);
  if (!prio) return prio.err();
  auto p = parse_priority(*prio);
  if (!p) return Error{"unknown priority \"" + prio->substr(0, 64) + "\""};
  a.priority = *p;

  auto time = get_string(j, "time", true);
  if (!time) return time.err();
  auto t = parse_rfc3339(*time);
  if (!t) return Error{"field \"time\" is not an RFC 3339 timestamp"};
  a.time_ns = *t;

  for (auto [key, dst] : {std::pair{"output", &a.output}, std::pair{"source", &a.source},
                          std::pair{"hostname", &a.hostname}, std::pair{"uuid", &a.uuid}}) {
    auto v = get_string(j, key, false);
    if (!v) return v.err();
    if (!v->empty() || std::string_view(key) != "source") *dst = std::move(*v);
  }

  if (auto it = j.find("output_fields"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return Error{"field \"output_fields\" must be an object"};
    for (auto& [k, v] : it->items()) {
      if (v.is_object() || v.is_array()) {
        return Error{"output_fields[\"" + k.substr(0, 64) + "\"] must be a scalar"};
      }
      a.output_fields[k] = v;
    }
  }
  if (auto it = j.find("tags"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return Error{"field \"tags\" must be an array of strings"};
    for (auto& v : *it) {
      if (!v.is_string()) return Error{"field \"tags\" must be an array of strings"};
      a.tags.push_back(v.get<std::string>());
    }
  }
  return a;
}

}  // namespace riposte
