// parse_event_list (one pass, requestObject / responseObject kept as text until read) against
// parse_event_list_dom (the full nlohmann DOM it replaced): on every body, the same verdict,
// reason and detail, the same events skipped with the same reasons, the same count of unknown
// members, and every ka.* / jevt.* / json.* field of every event rendering the same, each
// field read first on a fresh parse (so a field reading a deferred member before it is parsed
// shows) and all of them together; Falco's k8s_audit rules take the same events.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <random>

#include "audit/event_list.h"
#include "detector/rules/field_table.h"
#include "detector/rules/ruleset.h"
#include "tests/support/audit_stream.h"

namespace riposte::audit {
namespace {

namespace samples = riposte::testing::audit;
namespace rules = riposte::detector::rules;
using nlohmann::json;

// Every field of the k8saudit and json plugins, with arguments where they take one.
std::vector<std::string> all_fields() {
  std::vector<std::string> out;
  auto add = [&](std::span<const rules::FieldDef> table) {
    for (const auto& f : table) {
      std::string name(f.name);
      switch (f.arg) {
        case rules::ArgMode::kKeyRequired:
          if (name.ends_with(".value")) {
            for (const char* p :
                 {"/stage", "/requestObject", "/requestObject/spec/containers/0/image",
                  "/requestObject/spec/volumes", "/responseObject/metadata/name",
                  "/responseObject/items/1/status/podIP", "/user/groups/0", "/user/groups",
                  "/objectRef", "/a~1b", "/annotations/authorization.k8s.io~1decision",
                  "/responseStatus/code", "/requestObject/data", "/"})
              out.push_back(name + "[" + p + "]");
          } else if (name == "ka.uri.param") {
            out.push_back(name + "[command]");
            out.push_back(name + "[container]");
          } else {
            out.push_back(name + "[/var/run/docker.sock]");
            out.push_back(name + "[/et*]");
          }
          break;
        case rules::ArgMode::kIndexOptional:
          out.push_back(name);
          out.push_back(name + "[0]");
          out.push_back(name + "[1]");
          break;
        default:
          out.push_back(name);
      }
    }
  };
  add(rules::k8saudit_fields());
  add(rules::json_fields());
  return out;
}

// One rule per field, rendering it alone; rule "all" renders every field.
struct FieldRules {
  std::vector<std::string> fields = all_fields();
  std::unique_ptr<rules::Ruleset> rs;

  FieldRules() {
    std::string yaml, every;
    for (size_t i = 0; i < fields.size(); ++i) {
      yaml += "- rule: f" + std::to_string(i) +
              "\n  desc: d\n  condition: jevt.rawtime exists\n  output: '<%" + fields[i] +
              ">'\n  priority: INFO\n  source: k8s_audit\n";
      every += fields[i] + "=<%" + fields[i] + "> ";
    }
    yaml += "- rule: all\n  desc: d\n  condition: jevt.rawtime exists\n  output: '" + every +
            "'\n  priority: INFO\n  source: k8s_audit\n";
    auto r = rules::load_rules_from_string(yaml);
    EXPECT_TRUE(r.ok());
    rs = std::move(r.ruleset);
  }
};

const FieldRules& field_rules() {
  static FieldRules f;
  return f;
}

std::string render(const rules::CompiledRule& rule, const detector::AuditEvent& a) {
  detector::Event ev = detector::make_audit_event(a, 1);
  return rules::make_alert(rule, ev, "h").output;
}

struct Parsed {
  bool ok;
  ParsedBatch batch;
  Rejection why;
};

Parsed run(bool dom, const std::string& body, const ParseLimits& limits) {
  Parsed p;
  p.ok = dom ? parse_event_list_dom(body, limits, &p.batch, &p.why)
             : parse_event_list(body, limits, &p.batch, &p.why);
  return p;
}

// The verdicts and what was skipped agree; returns the number of events.
size_t expect_same_verdict(const std::string& body, const ParseLimits& limits,
                           const std::string& what) {
  Parsed a = run(false, body, limits), b = run(true, body, limits);
  EXPECT_EQ(a.ok, b.ok) << what << ": " << b.why.reason;
  EXPECT_EQ(a.why.reason, b.why.reason) << what;
  EXPECT_EQ(a.why.detail, b.why.detail) << what;
  EXPECT_EQ(a.batch.events.size(), b.batch.events.size()) << what;
  EXPECT_EQ(a.batch.unknown_members, b.batch.unknown_members) << what;
  EXPECT_EQ(a.batch.skipped.size(), b.batch.skipped.size()) << what;
  for (size_t i = 0; i < std::min(a.batch.skipped.size(), b.batch.skipped.size()); ++i) {
    EXPECT_EQ(a.batch.skipped[i].reason, b.batch.skipped[i].reason) << what;
    EXPECT_EQ(a.batch.skipped[i].detail, b.batch.skipped[i].detail) << what;
  }
  return std::min(a.batch.events.size(), b.batch.events.size());
}

// The verdicts agree, and every field of every event renders the same.
void expect_same(const std::string& body, const std::string& what, ParseLimits limits = {}) {
  size_t events = expect_same_verdict(body, limits, what);
  if (events == 0) return;
  const FieldRules& fr = field_rules();
  Parsed want = run(true, body, limits);
  for (size_t f = 0; f < fr.fields.size(); ++f) {
    const rules::CompiledRule& rule = *fr.rs->find("f" + std::to_string(f));
    Parsed got = run(false, body, limits);  // fresh: this field reads the event first
    for (size_t e = 0; e < events; ++e)
      ASSERT_EQ(render(rule, got.batch.events[e]), render(rule, want.batch.events[e]))
          << what << ", event " << e << ", field " << fr.fields[f];
  }
  Parsed got = run(false, body, limits);
  for (size_t e = 0; e < events; ++e)
    EXPECT_EQ(render(*fr.rs->find("all"), got.batch.events[e]),
              render(*fr.rs->find("all"), want.batch.events[e]))
        << what << ", event " << e;
}

std::string list_of(const std::vector<json>& items) { return samples::event_list(items).dump(); }

// An EventList body around raw item text.
std::string raw_list(const std::string& items) {
  return R"({"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[)" + items + "]}";
}

std::string raw_event(const std::string& extra) {
  std::string e = samples::privileged_pod_create("shop", "p1").dump();
  e.pop_back();
  return e + "," + extra + "}";
}

TEST(EventListAgreement, TheAuditStreamCorpus) {
  expect_same(list_of(samples::stream_mix()), "stream mix");
  expect_same(list_of({samples::privileged_pod_create("shop", "p"), samples::pod_exec("shop", "w"),
                       samples::wildcard_clusterrole_create("r"),
                       samples::secret_get("shop", "db", "mallory"), samples::routine_list("x")}),
              "rule samples");
}

TEST(EventListAgreement, OddButValidEvents) {
  json e = samples::privileged_pod_create("shop", "p1");
  e["requestObject"]["spec"]["volumes"] = {{{"name", "h"}, {"hostPath", {{"path", "/etc"}}}},
                                           {{"name", "s"}, {"secret", {{"secretName", "x"}}}}};
  e["requestObject"]["metadata"]["labels"] = {{"caf\u00e9", "\u2603 \U0001F600"}};
  e["requestObject"]["spec"]["containers"][0]["ports"] = {
      {{"containerPort", 80}, {"hostPort", 8080}}};
  e["requestObject"]["spec"]["securityContext"] = {{"runAsUser", -1}, {"fsGroup", 1.5}};
  e["requestObject"]["n"] = {18446744073709551615ull, -9223372036854775807ll - 1, 1e300, 0.1, -0.0};
  e["responseObject"] = "a string";
  e["a/b"] = "slash";
  e["aNewMember"] = {{"x", 1}};
  json n = samples::pod_exec("shop", "w");
  n["requestObject"] = nullptr;
  n["responseObject"] = json::array({1, "two", nullptr, true});
  expect_same(list_of({e, n}), "odd values");
  ParseLimits strict;
  strict.unknown_members = FieldValidation::kStrict;
  expect_same(list_of({e, n}), "odd values, --field-validation=Strict", strict);

  // Escapes, surrogate pairs, numbers nlohmann turns into doubles, repeated names (the last
  // wins), a byte order mark, a NUL byte ending the input, whitespace everywhere.
  std::string escapes = raw_event(
      R"("requestObject":{"kind":"Pod","spec":{"containers":[{"name":"c\"\\\/\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00","image":"x","securityContext":{"privileged":true}}],"hostNetwork":true}})");
  expect_same(raw_list(escapes), "escapes");
  expect_same(
      raw_list(raw_event(R"("requestObject":{"a":1},"requestObject":{"spec":{"hostPID":true}})")),
      "a repeated requestObject");
  expect_same(
      raw_list(raw_event(R"("verb":"delete","verb":"get","user":{"username":"x","username":"y"})")),
      "repeated members");
  expect_same(
      raw_list(raw_event(
          R"("responseStatus":{"code":500},"responseStatus":"gone","sourceIPs":["1.2.3.4"],"sourceIPs":null,"annotations":7,"annotations":{"authorization.k8s.io/decision":"forbid"})")),
      "a repeated member, an object then not, and back");
  expect_same(
      raw_list(raw_event(
          R"("responseObject":{"metadata":{"name":"a","name":"b"}},"n":123456789012345678901234567890,"m":-1E-400,"o":1e999)")),
      "repeated names inside an object, big numbers");
  expect_same("\xEF\xBB\xBF" + raw_list(escapes), "a byte order mark");
  expect_same(raw_list(escapes) + std::string(" \0 trailing", 11), "a NUL byte ends the input");
  expect_same(raw_list(escapes) + std::string("\0", 1) + std::string(200, '['),
              "nesting after the NUL byte still counts");
  expect_same(" \n\t\r{ \"kind\" : \"EventList\" , \"items\" : [ " + escapes +
                  " ] , \"kind\":\"EventList\" } \n",
              "whitespace");
  expect_same(R"({"kind":"EventList","items":[{"auditID":"x","stage":"s","verb":"v"}],"items":)" +
                  std::string("[") + escapes + "]}",
              "a repeated items: the last one");
  expect_same(R"({"items":null,"kind":"EventList"})", "items null");
}

TEST(EventListAgreement, MalformedAndRefusedBodies) {
  const std::string good = raw_list(raw_event(R"("responseObject":{"kind":"Pod","x":[1,2]})"));
  const std::vector<std::string> bodies = {
      "",
      " ",
      "{",
      "[",
      "null",
      "42",
      "\"s\"",
      "[1,2]",
      "{}",
      R"({"kind":"EventList"})",
      R"({"kind":"EventList","items":{}})",
      R"({"kind":"EventList","items":"x"})",
      R"({"kind":1,"items":[]})",
      R"({"kind":"EventList","apiVersion":"audit.k8s.io/v1beta1","items":[]})",
      R"({"kind":"EventList","apiVersion":7,"items":[]})",
      R"({"kind":"EventList","items":[1,"x",null,[],{},{"auditID":"a","stage":"s"},{"auditID":1,"stage":"s","verb":"v"}]})",
      raw_list(raw_event(R"("requestObject":{"a":"\u12"})")),    // a short \u escape
      raw_list(raw_event(R"("requestObject":{"a":"\ud800"})")),  // a lone high surrogate
      raw_list(raw_event(R"("requestObject":{"a":"\udc00"})")),  // a lone low surrogate
      raw_list(raw_event(R"("requestObject":{"a":"\ud800\u0041"})")),
      raw_list(raw_event(R"("requestObject":{"a":"\x"})")),                   // an unknown escape
      raw_list(raw_event("\"requestObject\":{\"a\":\"\x01\"}")),              // a raw control byte
      raw_list(raw_event("\"requestObject\":{\"a\":\"\xC0\xAF\"}")),          // overlong UTF-8
      raw_list(raw_event("\"requestObject\":{\"a\":\"\xED\xA0\x80\"}")),      // a UTF-8 surrogate
      raw_list(raw_event("\"requestObject\":{\"a\":\"\xF4\x90\x80\x80\"}")),  // > U+10FFFF
      raw_list(raw_event("\"requestObject\":{\"a\":\"\xE2\x82\"}")),          // cut short
      raw_list(raw_event(R"("requestObject":{"a":01})")),
      raw_list(raw_event(R"("requestObject":{"a":1.})")),
      raw_list(raw_event(R"("requestObject":{"a":-})")),
      raw_list(raw_event(R"("requestObject":{"a":1e})")),
      raw_list(raw_event(R"("requestObject":{"a":tru})")),
      raw_list(raw_event(R"("requestObject":{"a":nul})")),
      raw_list(raw_event(R"("requestObject":{"a":1,})")),
      raw_list(raw_event(R"("requestObject":[1,])")),
      raw_list(raw_event(R"("requestObject":{'a':1})")),
      raw_list(raw_event(R"("requestObject":{"a" 1})")),
      raw_list(raw_event(R"("requestObject":{"a":1}})")),
      raw_list(raw_event(R"("requestObject":/*c*/{})")),
      good + "x",
      good + "{}",
      "\xEF\xBB" + good,
      "\xEF" + good,
      std::string("\0", 1) + good,
      // Nesting: refused before parsing, wherever it is, even in a broken body.
      raw_list(raw_event("\"requestObject\":" + std::string(200, '[') + std::string(200, ']'))),
      raw_list(raw_event("\"requestObject\":" + std::string(200, '[') + "x")),
      std::string(130, '[') + "1" + std::string(130, ']'),
  };
  for (size_t i = 0; i < bodies.size(); ++i) expect_same(bodies[i], "body " + std::to_string(i));
  // Every cut of a good body.
  for (size_t n = 0; n < good.size(); n += 7)
    expect_same_verdict(good.substr(0, n), {}, "cut at " + std::to_string(n));
}

TEST(EventListAgreement, RandomDamageToARealBody) {
  // Bytes changed at random in a real body: the scanner must refuse exactly what nlohmann
  // refuses. A fixed seed, so a failure repeats.
  const std::string body = list_of({samples::privileged_pod_create("shop", "p1"),
                                    samples::stream_mix()[9], samples::stream_mix()[6]});
  static const char kSpecials[] = "{}[]\",:\\ -.0e+tfn\x01\x7f\x80\xC3\xBF\xED\xEF\0";
  const std::string specials(kSpecials, sizeof kSpecials - 1);  // the NUL byte included
  std::mt19937 rng(16);
  for (int round = 0; round < 3000; ++round) {
    std::string b = body;
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits; ++k) {
      size_t at = rng() % b.size();
      char c = specials[rng() % specials.size()];
      switch (rng() % 3) {
        case 0:
          b[at] = c;
          break;
        case 1:
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          b.erase(at, 1 + rng() % 4);
      }
    }
    expect_same_verdict(b, {}, "round " + std::to_string(round));
    if (::testing::Test::HasFailure()) break;
  }
}

TEST(EventListAgreement, TheByteLimit) {
  json big = samples::privileged_pod_create("shop", "big");
  big["requestObject"]["metadata"]["annotations"] = {{"pad", std::string(1 << 20, 'x')}};
  const std::string body = list_of({big, samples::pod_exec("shop", "web")});
  ParseLimits small;
  small.max_event_bytes = 512 * 1024;
  expect_same_verdict(body, small, "1 MiB requestObject, 512 KiB limit");
  expect_same(body, "1 MiB requestObject, default limit");
  // A repeated member counted twice by the scanner: over the limit by its count, under it in
  // nlohmann's DOM (the last value only): kept, as the DOM keeps it.
  std::string pad(300 * 1024, 'y');
  std::string twice = raw_list(raw_event("\"responseObject\":{\"p\":\"" + pad +
                                         "\"},\"responseObject\":{\"p\":\"" + pad + "\"}"));
  expect_same(twice, "a repeated member near the limit", small);
  Parsed p = run(false, twice, small);
  EXPECT_EQ(p.batch.events.size(), 1u);
  // Just over, just under.
  for (size_t limit : {size_t{1000}, size_t{1100}, size_t{1200}, size_t{1300}, size_t{5000}}) {
    ParseLimits l;
    l.max_event_bytes = limit;
    expect_same_verdict(
        list_of({samples::privileged_pod_create("shop", "p"), samples::pod_exec("shop", "w")}), l,
        "limit " + std::to_string(limit));
  }
}

}  // namespace
}  // namespace riposte::audit
