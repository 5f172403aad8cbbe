#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>

#include "cli/commands.h"
#include "cli/talon_import.h"
#include "common/flags.h"
#include "common/log.h"
#include "responder/planning_kube_client.h"
#include "responder/playbook/engine.h"
#include "responder/playbook/playbook.h"

namespace riposte::cli {
namespace {

std::string indent(const std::string& text, const std::string& prefix) {
  std::string out = prefix;
  for (char c : text) {
    out += c;
    if (c == '\n') out += prefix;
  }
  return out;
}

void print_playbook(const playbook::Playbook& pb, const playbook::PlaybookOutcome& o,
                    const Alert& alert) {
  std::printf("playbook %s (%s)%s%s\n", pb.name.c_str(), pb.origin.c_str(),
              pb.dry_run ? " [dry_run]" : "", pb.stop ? " [stop: later playbooks skipped]" : "");
  if (pb.cooldown) {
    auto target = playbook::cooldown_target(*pb.cooldown, alert);
    std::printf("  cooldown %lld ms per target %s\n", static_cast<long long>(pb.cooldown->period_ms),
                target ? ("\"" + *target + "\"").c_str() : ("(error: " + target.error() + ")").c_str());
  }
  for (size_t i = 0; i < o.steps.size(); ++i) {
    const auto& s = o.steps[i];
    const nlohmann::json j = playbook::to_json(s);
    std::printf("  step %zu: %s%s -> %s\n", i + 1, s.action.c_str(),
                s.name.empty() ? "" : (" (" + s.name + ")").c_str(),
                std::string(actions::status_name(s.result.status)).c_str());
    if (j.contains("params")) std::printf("    params: %s\n", j["params"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    if (!s.result.message.empty()) std::printf("    %s\n", s.result.message.c_str());
    for (const auto& r : s.result.requests) {
      std::printf("    %s\n", r.str().c_str());
      if (!r.body.empty()) std::printf("%s\n", indent(r.body, "      ").c_str());
    }
  }
  if (o.steps.size() < pb.steps.size()) {
    std::printf("  (steps %zu to %zu not reached)\n", o.steps.size() + 1, pb.steps.size());
  }
}

}  // namespace

int playbook_validate(const Args& args) {
  std::vector<std::string> paths;
  Flags f("riposte playbook validate",
          "Loads playbook files (or directories of *.yaml / *.yml) as the responder would and "
          "prints every problem as file:line:col: error: message. Exits 1 on any error.",
          "riposte playbook validate PATH [PATH ...]");
  f.add_positional("PATH", &paths, "playbook files or directories");
  if (int rc = parse_flags(f, args); rc >= 0) return rc;
  if (paths.empty()) {
    std::fprintf(stderr, "riposte playbook validate: no paths given (see --help)\n");
    return 2;
  }
  size_t playbooks = 0, errors = 0;
  for (const auto& p : paths) {
    auto res = playbook::load_playbooks(p);
    for (const auto& d : res.errors) std::printf("%s\n", d.str().c_str());
    playbooks += res.playbooks.size();
    errors += res.errors.size();
  }
  std::fprintf(stderr, "%zu playbooks, %zu errors\n", playbooks, errors);
  return errors == 0 ? 0 : 1;
}

int playbook_import_talon(const Args& args) {
  std::vector<std::string> paths;
  std::string output;
  Flags f("riposte playbook import-talon",
          "Turns Falco Talon rules files (rules and their actions; later files override earlier "
          "ones, as in Talon) into riposte playbooks. Prints what it cannot translate, with the "
          "reason, as file:line:col: warning: not translated: ...; a rule with anything left "
          "out becomes a dry-run playbook. The playbooks are checked with riposte's own loader "
          "before they are written. Exits 1 when the input is not Talon's format.",
          "riposte playbook import-talon RULES.yaml [OVERRIDES.yaml ...] [--output FILE]");
  f.add_positional("RULES", &paths, "Talon rules files");
  f.add_string("output", &output, "FILE", "write the playbooks there instead of stdout");
  if (int rc = parse_flags(f, args); rc >= 0) return rc;
  if (paths.empty()) {
    std::fprintf(stderr, "riposte playbook import-talon: no rules file given (see --help)\n");
    return 2;
  }
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "riposte playbook import-talon: cannot read %s\n", p.c_str());
      return 1;
    }
    files.emplace_back(p, std::string(std::istreambuf_iterator<char>(in), {}));
  }
  auto res = import_talon(files);
  if (!res) {
    std::fprintf(stderr, "%s: error: %s\n", paths.front().c_str(), res.error().c_str());
    return 1;
  }
  for (const auto& n : res->notes) std::fprintf(stderr, "%s\n", n.str().c_str());
  // What is written must load: a mistake here would only surface in the responder.
  const auto check = playbook::parse_playbooks(res->yaml, output.empty() ? "<output>" : output);
  if (!check.ok()) {
    std::fprintf(stderr,
                 "riposte playbook import-talon: internal error, the playbooks do not "
                 "load:\n%s\n",
                 check.error_text().c_str());
    return 1;
  }
  if (output.empty()) {
    std::fwrite(res->yaml.data(), 1, res->yaml.size(), stdout);
  } else if (!(std::ofstream(output, std::ios::binary) << res->yaml)) {
    std::fprintf(stderr, "riposte playbook import-talon: cannot write %s\n", output.c_str());
    return 1;
  }
  std::fprintf(stderr, "%d playbooks; translated %d of %d Talon constructs (%.0f %%)\n",
               res->playbooks, res->translated, res->constructs,
               res->constructs ? 100.0 * res->translated / res->constructs : 100.0);
  return 0;
}

int playbook_test(const Args& args) {
  std::vector<std::string> paths, rest;
  std::string alert_file;
  Flags f("riposte playbook test",
          "Shows, without a cluster, what the responder would do with an alert: which "
          "playbooks match, which steps would run with which (templated) parameters, and the "
          "exact API requests (method, path, body) each would send. Reads the actions need are "
          "answered from the alert itself (its pod; the node from k8s.node.name or the "
          "hostname; a Deployment owner guessed from the pod's name). Exits 1, saying why, "
          "when a matching step cannot be planned (an invalid target, an undefined template "
          "field), 2 on usage errors.",
          "riposte playbook test --playbooks DIR|FILE --alert ALERT.json");
  f.add_list("playbooks", &paths, "PATH", "playbook file or directory; repeatable");
  f.add_string("alert", &alert_file, "FILE", "Falco JSON alert; - for standard input");
  if (int rc = parse_flags(f, args); rc >= 0) return rc;
  if (paths.empty() || alert_file.empty()) {
    std::fprintf(stderr, "riposte playbook test: give --playbooks and --alert (see --help)\n");
    return 2;
  }
  std::string body;
  if (alert_file == "-") {
    body.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(alert_file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "riposte playbook test: cannot read %s\n", alert_file.c_str());
      return 1;
    }
    body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto alert = parse_alert(body);
  if (!alert) {
    std::fprintf(stderr, "riposte playbook test: %s: invalid alert: %s\n", alert_file.c_str(),
                 alert.error().c_str());
    return 1;
  }
  auto loaded = playbook::load_playbooks(paths);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.error_text().c_str());
    return 1;
  }
  // The actions log every unsent request; here the plan below says it better.
  log::set_level(log::Level::kWarn);
  responder::PlanningKubeClient kube(*alert);
  const size_t total = loaded.playbooks.size();
  playbook::Engine engine(std::move(loaded.playbooks), kube, actions::Guardrails{});
  std::printf("alert: %s (%s)\n", alert->rule.c_str(),
              std::string(priority_name(alert->priority)).c_str());
  const auto matching = engine.matching(*alert);
  std::printf("%zu of %zu playbooks match\n", matching.size(), total);
  int problems = 0;
  for (const playbook::Playbook* pb : matching) {
    std::printf("\n");
    playbook::PlaybookOutcome o = engine.run(*pb, *alert, /*force_dry_run=*/true);
    print_playbook(*pb, o, *alert);
    for (size_t i = 0; i < o.steps.size(); ++i) {
      if (o.steps[i].result.status != actions::ActionResult::kFailed) continue;
      ++problems;
      std::fprintf(stderr, "riposte playbook test: playbook %s, step %zu (%s) cannot be planned: %s\n",
                   pb->name.c_str(), i + 1, o.steps[i].action.c_str(),
                   o.steps[i].result.message.c_str());
    }
  }
  return problems == 0 ? 0 : 1;
}

}  // namespace riposte::cli
