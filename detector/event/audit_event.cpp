#include "detector/event/audit_event.h"

#include <charconv>
#include <ctime>
#include <limits>

#include "detector/event/json_scan.h"

namespace riposte::detector {

const nlohmann::json* json_get(const nlohmann::json* v,
                               std::initializer_list<std::string_view> keys) {
  for (std::string_view k : keys) {
    if (v == nullptr || !v->is_object()) return nullptr;
    auto it = v->find(k);
    if (it == v->end()) return nullptr;
    v = &*it;
  }
  return v;
}

void AuditEvent::index() {
  audit_id = json_get(&doc, {"auditID"});
  stage = json_get(&doc, {"stage"});
  verb = json_get(&doc, {"verb"});
  user_name = json_get(&doc, {"user", "username"});
  const nlohmann::json* ref = json_get(&doc, {"objectRef"});
  resource = json_get(ref, {"resource"});
  subresource = json_get(ref, {"subresource"});
  ns = json_get(ref, {"namespace"});
  name = json_get(ref, {"name"});
  auto* members = doc.is_object() ? doc.get_ptr<nlohmann::json::object_t*>() : nullptr;
  for (DeferredMember* d : {&request_object, &response_object}) {
    d->members_ = members;
    if (d->text_.empty()) d->node_ = json_get(&doc, {d->key_});
  }
  for (DeferredMember& d : others_) d.members_ = members;
}

DeferredMember* AuditEvent::deferred(std::string_view key) {
  if (key == request_object.key_) return &request_object;
  if (key == response_object.key_) return &response_object;
  for (DeferredMember& d : others_)
    if (d.key_ == key) return &d;
  return nullptr;
}

void AuditEvent::defer(std::string_view key, std::shared_ptr<const std::string> source,
                       std::string_view text) {
  DeferredMember* d = deferred(key);
  if (d == nullptr) d = &others_.emplace_back(key);
  doc.get_ref<nlohmann::json::object_t&>().erase(std::string(key));
  d->source_ = std::move(source);
  d->text_ = text;
  d->node_ = nullptr;
  d->members_ = doc.get_ptr<nlohmann::json::object_t*>();
}

void AuditEvent::drop_deferred(std::string_view key) {
  if (DeferredMember* d = deferred(key)) {
    d->source_.reset();
    d->text_ = {};
    d->node_ = nullptr;
  }
}

const nlohmann::json* DeferredMember::get() const {
  if (!text_.empty() && members_ != nullptr) {
    // The text was checked (nesting included) when it was deferred: building cannot fail,
    // and builds what nlohmann::json::parse would.
    nlohmann::json& slot = (*members_)[std::string(key_)];
    JsonScanner s(text_, std::numeric_limits<size_t>::max());
    size_t bytes = 0;
    if (!s.build(0, &slot, &bytes) || !s.at_end())
      slot = nlohmann::json::parse(text_, nullptr, /*allow_exceptions=*/false);
    node_ = &slot;
    text_ = {};
    source_.reset();
  }
  return node_;
}

const nlohmann::json* AuditEvent::member(std::string_view key) const {
  if (key == request_object.key_) return request_object.get();
  if (key == response_object.key_) return response_object.get();
  for (const DeferredMember& d : others_)
    if (d.key_ == key && !d.text_.empty()) return d.get();
  return json_get(&doc, {key});
}

const nlohmann::json* AuditEvent::get(std::initializer_list<std::string_view> keys) const {
  if (keys.size() == 0) return &doc;
  const nlohmann::json* v = member(*keys.begin());
  for (auto k = keys.begin() + 1; k != keys.end(); ++k) v = json_get(v, {*k});
  return v;
}

std::string_view AuditEvent::rendered(const nlohmann::json& v) const {
  for (const auto& [node, text] : rendered_)
    if (node == &v) return *text;
  // Nodes stay where they are while the event lives (deferred members are only ever added),
  // so a node's address names it; the whole doc changes when a deferred member is parsed
  // into it, and is rendered from full() only.
  auto text = std::make_unique<std::string>(
      v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  std::string_view out = *text;
  rendered_.emplace_back(&v, std::move(text));
  return out;
}

const nlohmann::json& AuditEvent::full() const {
  request_object.get();
  response_object.get();
  for (const DeferredMember& d : others_) d.get();
  return doc;
}

namespace {

bool digits(std::string_view s, size_t at, size_t n, int* out) {
  if (at + n > s.size()) return false;
  int v = 0;
  auto r = std::from_chars(s.data() + at, s.data() + at + n, v);
  if (r.ec != std::errc() || r.ptr != s.data() + at + n) return false;
  *out = v;
  return true;
}

// "2026-12-03T16:38:13.123456Z" / "...+01:00".
uint64_t parse_rfc3339_ns(std::string_view s) {
  int Y, M, D, h, m, sec;
  if (!digits(s, 0, 4, &Y) || !digits(s, 5, 2, &M) || !digits(s, 8, 2, &D) ||
      !digits(s, 11, 2, &h) || !digits(s, 14, 2, &m) || !digits(s, 17, 2, &sec))
    return 0;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':')
    return 0;
  size_t i = 19;
  uint64_t frac = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    uint64_t scale = 100000000;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      frac += static_cast<uint64_t>(s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
  }
  int64_t offset_s = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!digits(s, i + 1, 2, &oh) || !digits(s, i + 4, 2, &om)) return 0;
    offset_s = (s[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  } else if (i >= s.size() || (s[i] != 'Z' && s[i] != 'z')) {
    return 0;
  }
  std::tm tm{};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  int64_t t = static_cast<int64_t>(timegm(&tm)) - offset_s;
  if (t < 0) return 0;
  return static_cast<uint64_t>(t) * 1000000000ull + frac;
}

}  // namespace

uint64_t audit_event_time_ns(const nlohmann::json& doc) {
  for (const char* key : {"stageTimestamp", "requestReceivedTimestamp"}) {
    const nlohmann::json* v = json_get(&doc, {key});
    if (v != nullptr && v->is_string()) {
      uint64_t ns = parse_rfc3339_ns(v->get_ref<const std::string&>());
      if (ns != 0) return ns;
    }
  }
  return 0;
}

Event make_audit_event(const AuditEvent& a, uint64_t num) {
  Event ev;
  ev.type = EventType::kPluginEvent;
  ev.ts_ns = audit_event_time_ns(a.doc);
  ev.num = num;
  ev.audit = &a;
  return ev;
}

}  // namespace riposte::detector
