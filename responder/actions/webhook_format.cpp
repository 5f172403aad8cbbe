#include "responder/actions/webhook_format.h"

#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

namespace riposte::actions {
namespace {

using json = nlohmann::ordered_json;

constexpr size_t kMaxText = 1500;
constexpr size_t kMaxFact = 200;

std::string cut(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // UTF-8 boundary
  s.resize(n);
  return s + "…";
}

// One line: a fact is a value, not a layout.
std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return cut(std::move(s), kMaxFact);
}

std::string slack_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out.push_back(c);
  }
  return out;
}

std::string field(const Alert& a, std::string_view key) {
  auto it = a.output_fields.find(key);
  if (it == a.output_fields.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>()
                         : it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::pair<std::string, std::string>> facts(const Alert& a, const WebhookMessage& m) {
  std::vector<std::pair<std::string, std::string>> out = {
      {"Priority", std::string(priority_name(a.priority))},
      {"Namespace", field(a, "k8s.ns.name")},
      {"Pod", field(a, "k8s.pod.name")},
      {"Host", a.hostname},
      {"Playbook", m.playbook},
  };
  if (a.time_ns != 0) out.emplace_back("Time", format_rfc3339_ns(a.time_ns));
  std::vector<std::pair<std::string, std::string>> kept;
  for (auto& [k, v] : out) {
    if (!v.empty()) kept.emplace_back(k, one_line(std::move(v)));
  }
  return kept;
}

json slack(const Alert& a, const WebhookMessage& m) {
  std::string fields_md;
  json fields = json::array();
  for (const auto& [k, v] : facts(a, m)) {
    fields.push_back({{"type", "mrkdwn"}, {"text", "*" + k + "*\n" + slack_escape(v)}});
    fields_md += "\n*" + k + "*: " + slack_escape(v);
  }
  json blocks = json::array();
  blocks.push_back({{"type", "header"},
                    {"text", {{"type", "plain_text"}, {"text", cut(m.title, 150)}}}});
  if (!m.text.empty()) {  // Slack refuses a section with empty text
    blocks.push_back({{"type", "section"},
                      {"text", {{"type", "mrkdwn"}, {"text", slack_escape(m.text)}}}});
  }
  // Slack allows at most 10 fields in a section.
  if (!fields.empty()) blocks.push_back({{"type", "section"}, {"fields", fields}});
  // "text" is the notification and fallback for clients that do not render blocks.
  return {{"text", slack_escape(m.title) + "\n" + slack_escape(m.text) + fields_md},
          {"blocks", blocks}};
}

json adaptive_card(const Alert& a, const WebhookMessage& m) {
  json fact_set = json::array();
  for (const auto& [k, v] : facts(a, m)) fact_set.push_back({{"title", k}, {"value", v}});
  json card = {{"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
               {"type", "AdaptiveCard"},
               {"version", "1.4"},
               {"body",
                {{{"type", "TextBlock"},
                  {"text", m.title},
                  {"weight", "Bolder"},
                  {"size", "Medium"},
                  {"wrap", true}},
                 {{"type", "TextBlock"}, {"text", m.text}, {"wrap", true}},
                 {{"type", "FactSet"}, {"facts", fact_set}}}}};
  return {{"type", "message"},
          {"attachments",
           {{{"contentType", "application/vnd.microsoft.card.adaptive"},
             {"contentUrl", nullptr},
             {"content", card}}}}};
}

json message_card(const Alert& a, const WebhookMessage& m) {
  json fact_set = json::array();
  for (const auto& [k, v] : facts(a, m)) fact_set.push_back({{"name", k}, {"value", v}});
  return {{"@type", "MessageCard"},
          {"@context", "https://schema.org/extensions"},
          {"summary", m.title},
          {"themeColor", "D70000"},
          {"title", m.title},
          {"sections", {{{"text", m.text}, {"facts", fact_set}}}}};
}

}  // namespace

WebhookMessage webhook_message(const Alert& alert, std::string_view playbook,
                               std::string_view text) {
  WebhookMessage m;
  m.title = cut("riposte: " + alert.rule, kMaxFact);
  m.text = cut(text.empty() ? alert.output : std::string(text), kMaxText);
  m.playbook = std::string(playbook);
  return m;
}

std::string webhook_body(WebhookFormat format, const Alert& alert, const WebhookMessage& m) {
  json body;
  switch (format) {
    case WebhookFormat::kSlack:
      body = slack(alert, m);
      break;
    case WebhookFormat::kTeams:
      body = adaptive_card(alert, m);
      break;
    case WebhookFormat::kMessageCard:
      body = message_card(alert, m);
      break;
  }
  // Invalid UTF-8 from an alert is replaced, never thrown about.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace riposte::actions
