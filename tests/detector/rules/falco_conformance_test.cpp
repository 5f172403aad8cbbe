// Falco's own tests of its rules language (../shared/falco-conformance, beside the repository;
// README there) run against riposte's engine, case by case, judged by kind: accepted or
// rejected, warning present or not, the same compiled meaning, the same evaluation.
//
// Every case either passes, is not applicable (a plugin other than k8saudit/json, libs' test-only
// field factory, an event libsinsp builds that the corpus does not describe), or is listed in
// falco_conformance_known_failures.json with the reason. The test fails when a case fails that
// is not listed (a regression or a new case), and when a listed case passes (take it off the
// list). The summary per file, category and Falco release is printed, and written as Markdown
// to $RIPOSTE_CONFORMANCE_REPORT when that is set.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "detector/rules/parser.h"
#include "detector/rules/ruleset.h"
#include "tests/detector/rules/rules_test_util.h"

namespace riposte::detector::rules {
namespace {

using nlohmann::json;

std::filesystem::path source_dir() {
  const char* src = std::getenv("RIPOSTE_SOURCE_DIR");
  return src != nullptr ? src : ".";
}

std::filesystem::path corpus_dir() {
  return (source_dir() / ".." / "shared" / "falco-conformance").lexically_normal();
}

enum class Outcome { kPass, kFail, kNotApplicable };

struct Verdict {
  Outcome outcome = Outcome::kPass;
  std::string detail;  // why it failed, or why it does not apply
};

Verdict pass() { return {}; }
Verdict fail(std::string why) { return {Outcome::kFail, std::move(why)}; }
Verdict not_applicable(std::string why) { return {Outcome::kNotApplicable, std::move(why)}; }

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

// A condition's meaning for comparison: its tokens without whitespace and parentheses
// (riposte and Falco bracket expanded macros differently). Quotes stay: a quoted
// "toupper(x)" is a string, a bare toupper(x) a transformer.
std::string normalized(std::string_view cond) {
  std::string out;
  for (char ch : cond) {
    if (std::isspace(static_cast<unsigned char>(ch)) || ch == '(' || ch == ')') continue;
    out += ch;
  }
  return out;
}

std::string errors_of(const LoadResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics)
    if (d.severity == Diagnostic::kError) s += d.str() + "; ";
  return s.empty() ? "no error" : s;
}

std::string warnings_of(const LoadResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics)
    if (d.severity == Diagnostic::kWarning) s += d.code + " " + d.message + "; ";
  return s.empty() ? "no warning" : s;
}

// Falco's warning texts and the riposte warning codes that say the same thing; otherwise a
// riposte warning matches when its message contains Falco's text.
struct WarningKind {
  std::string_view falco_text;  // a prefix of Falco's message
  std::string_view code;
};
constexpr WarningKind kWarningKinds[] = {
    {"Rule matches too many evt.type values", "LOAD_NO_EVTTYPE"},
    {"Unknown key", "LOAD_UNKNOWN_KEY"},
    {"'append' key is deprecated", "LOAD_DEPRECATED_ITEM"},
    {"The standalone 'enabled' key usage is deprecated", "LOAD_DEPRECATED_ITEM"},
    {"Overriding/appending exception with no values", "LOAD_APPEND_NO_VALUES"},
    {"Macro not referred to", "LOAD_UNUSED_MACRO"},
    {"List not referred to", "LOAD_UNUSED_LIST"},
    {"List has an invalid name", "LOAD_INVALID_LIST_NAME"},
    {"Macro has an invalid name", "LOAD_INVALID_MACRO_NAME"},
};

bool has_warning(const LoadResult& r, const std::string& falco_text) {
  std::string_view code;
  for (const auto& k : kWarningKinds)
    if (falco_text.rfind(k.falco_text, 0) == 0) code = k.code;
  const std::string want = lower(falco_text);
  for (const auto& d : r.diagnostics) {
    if (d.severity != Diagnostic::kWarning) continue;
    if (!code.empty() && d.code == code) {
      // "Unknown key 'x'": the key must be the one named.
      size_t q = falco_text.find('\'');
      if (code != "LOAD_UNKNOWN_KEY" || q == std::string::npos ||
          d.message.find(falco_text.substr(q)) != std::string::npos)
        return true;
      continue;
    }
    if (lower(d.message).find(want) != std::string::npos) return true;
  }
  return false;
}

bool has_warning_code(const LoadResult& r, const std::string& code, const std::string& item) {
  for (const auto& d : r.diagnostics)
    if (d.severity == Diagnostic::kWarning && d.code == code &&
        (item.empty() || d.message.find(item) != std::string::npos))
      return true;
  return false;
}

bool has_error_code(const LoadResult& r, const std::string& code) {
  for (const auto& d : r.diagnostics)
    if (d.severity == Diagnostic::kError && d.code == code) return true;
  return false;
}

LoadResult load_files(const json& files) {
  std::vector<RulesSource> sources;
  for (const auto& f : files)
    sources.push_back({f.at("name").get<std::string>(), f.at("content").get<std::string>()});
  LoadOptions o;
  o.rule_matching = RuleMatching::kAll;
  o.hostname = "node-1";
  o.expand_conditions = true;
  return load_rules_from_sources(sources, o);
}

// Categories a, a2, b, c with rules files.
Verdict run_files_case(const json& c) {
  const json& e = c.at("expect");
  LoadResult r = load_files(c.at("files"));
  if (e.contains("load")) {
    const bool want = e.at("load").get<bool>();
    if (want && !r.ok()) return fail("Falco loads it; riposte rejects it: " + errors_of(r));
    if (!want && r.ok()) return fail("Falco rejects it; riposte loads it");
    if (!want && e.contains("error_kinds")) {
      for (const auto& k : e.at("error_kinds")) {
        if (k.is_object() && k.contains("Code") &&
            !has_error_code(r, k.at("Code").get<std::string>()))
          return fail("rejected, but not with " + k.at("Code").get<std::string>() + ": " +
                      errors_of(r));
      }
    }
  }
  auto rule = [&](const json& item) -> const CompiledRule* {
    return r.ruleset ? r.ruleset->find(item.at("rule").get<std::string>()) : nullptr;
  };
  if (e.contains("compiled")) {
    for (const auto& item : e.at("compiled")) {
      const CompiledRule* cr = rule(item);
      if (cr == nullptr) return fail("rule '" + item.at("rule").get<std::string>() + "' missing");
      const std::string want = item.at("condition").get<std::string>();
      if (normalized(cr->expanded_condition) != normalized(want))
        return fail("compiled condition differs: riposte '" + cr->expanded_condition +
                    "', Falco '" + want + "'");
    }
  }
  if (e.contains("outputs")) {
    for (const auto& item : e.at("outputs")) {
      const CompiledRule* cr = rule(item);
      if (cr == nullptr || cr->output != item.at("value").get<std::string>())
        return fail("output differs: riposte '" + (cr ? cr->output : "<no rule>") + "'");
    }
  }
  if (e.contains("priorities")) {
    for (const auto& item : e.at("priorities")) {
      const CompiledRule* cr = rule(item);
      if (cr == nullptr || priority_name(cr->priority) != item.at("value").get<std::string>())
        return fail("priority differs");
    }
  }
  if (e.contains("enabled_count")) {
    const size_t n = r.ruleset ? r.ruleset->enabled_rules().size() : 0;
    if (n != e.at("enabled_count").get<size_t>())
      return fail("enabled rules: riposte " + std::to_string(n) + ", Falco " +
                  std::to_string(e.at("enabled_count").get<size_t>()));
  }
  if (e.contains("warning") && !has_warning(r, e.at("warning").get<std::string>()))
    return fail("no warning '" + e.at("warning").get<std::string>() + "': " + warnings_of(r));
  if (e.contains("no_warning") && has_warning(r, e.at("no_warning").get<std::string>()))
    return fail("unexpected warning '" + e.at("no_warning").get<std::string>() + "'");
  if (e.contains("warning_struct")) {
    const json& w = e.at("warning_struct");
    if (!has_warning_code(r, w.at("Code").get<std::string>(), w.value("ItemName", "")))
      return fail("no warning " + w.at("Code").get<std::string>() + ": " + warnings_of(r));
  }
  if (e.value("no_warning_any", false) && r.warnings() != 0)
    return fail("unexpected warnings: " + warnings_of(r));
  if (e.value("has_warning_any", false) && r.warnings() == 0) return fail("no warning");
  return pass();
}

// Whether a condition reads the k8s_audit source's fields (ka.*, jevt.*).
bool k8s_audit_condition(const std::string& cond) {
  for (const char* prefix : {"ka.", "jevt."})
    if (cond.rfind(prefix, 0) == 0 || cond.find(std::string(" ") + prefix) != std::string::npos ||
        cond.find(std::string("(") + prefix) != std::string::npos)
      return true;
  return false;
}

// A condition as the only rule of a file (a k8s_audit rule when it reads that source).
LoadResult load_condition(const std::string& cond) {
  std::string yaml = "- rule: conformance\n  desc: d\n  condition: " + json(cond).dump() +
                     "\n  output: o\n  priority: INFO\n";
  if (k8s_audit_condition(cond)) yaml += "  source: k8s_audit\n";
  return rules::testing::load(yaml);
}

// Category e: the condition on the event the case describes.
Verdict run_eval_case(const json& c) {
  if (!c.contains("eval"))
    return not_applicable(c.value("eval_skip", "the event is one libsinsp builds in its test"));
  const json& ev_desc = c.at("eval").at("event");
  const std::string cond = c.at("eval").at("condition").get<std::string>();
  auto type = parse_event_type(ev_desc.at("type").get<std::string>());
  if (!type) return fail("event type '" + ev_desc.at("type").get<std::string>() + "' unknown");
  rules::testing::World world;
  const ProcessInfo* p = nullptr;
  if (ev_desc.contains("proc"))
    p = world.add(100, 1, ev_desc.at("proc").value("name", std::string("cat")));
  Event ev = rules::testing::make_event(*type, p, &world);
  LoadResult r = load_condition(cond);
  if (!r.ok()) return fail("does not compile: " + errors_of(r));
  std::vector<const CompiledRule*> hits;
  const bool got = r.ruleset->evaluate(ev, &hits) > 0;
  const bool want = c.at("expect").at("eval").get<bool>();
  if (got != want) return fail(std::string("evaluates to ") + (got ? "true" : "false"));
  return pass();
}

Verdict run_condition_case(const json& c) {
  const json& e = c.at("expect");
  const std::string cond = c.at("condition").get<std::string>();
  const std::string category = c.at("category").get<std::string>();
  if (category == "d") {
    const bool want = e.at("parse").get<bool>();
    for (const auto& v : c.at("variants")) {
      ParseResult pr = parse_condition(v.get<std::string>());
      if (pr.ok() != want)
        return fail(want ? "parse error: " + pr.error : "parses; Falco rejects the syntax");
    }
    return pass();
  }
  if (category == "e") return run_eval_case(c);
  if (c.value("mock_factory", false) &&
      (cond.rfind("c.", 0) == 0 || cond.find(" c.") != std::string::npos))
    return not_applicable("libs' test-only field factory (c.* fields)");
  if (cond.find("evt.plugininfo") != std::string::npos)
    return not_applicable("plugin field evt.plugininfo (no plugins)");
  LoadResult r = load_condition(cond);
  if (category == "d2") {
    const bool want = e.at("compile").get<bool>();
    if (want && !r.ok()) return fail("does not compile: " + errors_of(r));
    if (!want && r.ok()) return fail("compiles; Falco rejects it");
    return pass();
  }
  // c: warnings about the condition.
  if (!r.ok()) return fail("does not compile: " + errors_of(r));
  size_t condition_warnings = 0;
  for (const auto& d : r.diagnostics)
    if (d.severity == Diagnostic::kWarning && d.code != "LOAD_NO_EVTTYPE") ++condition_warnings;
  if (e.contains("compile_warnings")) {
    const size_t want = e.at("compile_warnings").get<size_t>();
    if (condition_warnings != want)
      return fail("warnings: riposte " + std::to_string(condition_warnings) + ", Falco " +
                  std::to_string(want) + ": " + warnings_of(r));
  }
  if (e.contains("condition_warns")) {
    const bool want = e.at("condition_warns").get<bool>();
    if ((condition_warnings > 0) != want)
      return fail(want ? "no warning" : "unexpected warning: " + warnings_of(r));
  }
  return pass();
}

// Cases the corpus marks "other-source" run now that riposte has the k8s_audit source (and
// says LOAD_UNKNOWN_SOURCE for the others), except those about fields no source of riposte's
// has: the libs' test-only sample plugin, and ka.field / jevt.field, names the k8saudit and
// json plugins do not define (Falco's warning resolver test never compiles them).
std::optional<std::string> other_source_not_applicable(const json& c) {
  const std::string cond = c.value("condition", std::string());
  if (cond.rfind("sample.", 0) == 0) return "the libs' test-only sample plugin's fields";
  if (cond.rfind("ka.field", 0) == 0 || cond.rfind("jevt.field", 0) == 0)
    return "fictitious k8s_audit field (ka.field, jevt.field)";
  return std::nullopt;
}

Verdict run_case(const json& c) {
  if (c.contains("skip") && c.at("skip").is_string()) {
    const std::string skip = c.at("skip").get<std::string>();
    if (skip != "other-source") return not_applicable(skip);
    if (auto why = other_source_not_applicable(c)) return not_applicable(*why);
  }
  if (c.contains("files")) return run_files_case(c);
  return run_condition_case(c);
}

struct Tally {
  size_t pass = 0, fail = 0, na = 0;
};

constexpr const char* kFiles[] = {"falco_rule_loader.json", "falco_warning_resolver.json",
                                  "testing_legacy.json", "libs_parser.json", "libs_compiler.json"};

TEST(FalcoConformance, EveryCasePassesOrIsKnown) {
  const std::filesystem::path dir = corpus_dir();
  ASSERT_TRUE(std::filesystem::is_directory(dir))
      << "Falco conformance corpus not found at " << dir
      << " (expected the shared/ folder beside the repository)";
  std::ifstream kf(source_dir() / "tests/detector/rules/falco_conformance_known_failures.json");
  ASSERT_TRUE(kf.good()) << "falco_conformance_known_failures.json not found";
  const json known = json::parse(kf);

  std::map<std::string, Tally> by_file, by_category, by_release;
  Tally total;
  std::set<std::string> seen;
  std::vector<std::string> new_failures, fixed, not_applicable_reasons;
  std::map<std::string, size_t> na_by_reason;
  json current_failures = json::object();
  for (const char* file : kFiles) {
    std::ifstream in(dir / file);
    ASSERT_TRUE(in.good()) << "cannot read " << (dir / file);
    const json doc = json::parse(in);
    for (const auto& c : doc.at("cases")) {
      const std::string id = c.at("id").get<std::string>();
      seen.insert(id);
      Verdict v;
      try {
        v = run_case(c);
      } catch (const std::exception& ex) {
        v = fail(std::string("case not understood: ") + ex.what());
      }
      Tally* tallies[] = {&total, &by_file[file], &by_category[c.at("category").get<std::string>()],
                          &by_release[c.at("since").get<std::string>()]};
      for (Tally* t : tallies) {
        if (v.outcome == Outcome::kPass) ++t->pass;
        if (v.outcome == Outcome::kFail) ++t->fail;
        if (v.outcome == Outcome::kNotApplicable) ++t->na;
      }
      if (v.outcome == Outcome::kNotApplicable) ++na_by_reason[v.detail];
      const bool listed = known.contains(id);
      if (v.outcome == Outcome::kFail)
        current_failures[id] = listed ? known.at(id).get<std::string>() : v.detail;
      if (v.outcome == Outcome::kFail && !listed)
        new_failures.push_back(id + " (" + c.at("origin").get<std::string>() + "): " + v.detail);
      if (v.outcome != Outcome::kFail && listed) fixed.push_back(id);
    }
  }
  for (const auto& [id, reason] : known.items())
    if (!seen.count(id)) fixed.push_back(id + " (no longer in the corpus)");

  std::ostringstream md;
  auto table = [&](const char* title, const std::map<std::string, Tally>& m) {
    md << "\n| " << title << " | pass | fail | n/a |\n|---|---|---|---|\n";
    for (const auto& [k, t] : m)
      md << "| " << k << " | " << t.pass << " | " << t.fail << " | " << t.na << " |\n";
  };
  md << "Falco conformance: " << total.pass << " pass, " << total.fail << " fail (known), "
     << total.na << " not applicable, of " << (total.pass + total.fail + total.na) << "\n";
  table("file", by_file);
  table("category", by_category);
  table("since", by_release);
  md << "\n| not applicable because | cases |\n|---|---|\n";
  for (const auto& [reason, n] : na_by_reason) md << "| " << reason << " | " << n << " |\n";
  std::cout << md.str();
  if (const char* report = std::getenv("RIPOSTE_CONFORMANCE_REPORT")) {
    std::ofstream(report) << md.str();
  }
  // Maintenance: RIPOSTE_CONFORMANCE_WRITE_FAILURES=<path> writes every failing case with what
  // differed, the start of an updated known-failures list (each reason then checked by hand).
  if (const char* path = std::getenv("RIPOSTE_CONFORMANCE_WRITE_FAILURES")) {
    std::ofstream(path) << current_failures.dump(2) << "\n";
  }
  for (const auto& f : new_failures) ADD_FAILURE() << "fails and is not a known failure: " << f;
  for (const auto& f : fixed)
    ADD_FAILURE() << "listed as a known failure but passes (remove it from "
                     "falco_conformance_known_failures.json): "
                  << f;
}

}  // namespace
}  // namespace riposte::detector::rules
