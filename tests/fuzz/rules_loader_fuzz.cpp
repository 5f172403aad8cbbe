// libFuzzer target: the rules loader. The input is a rules file (YAML); it is loaded alone,
// then after a small base file it can append to and override, with conditions expanded as
// `riposte rules explain` does. Every rule that compiles is explained and evaluated over a
// small mixed event stream; alerts are rendered for the matches.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "detector/rules/ruleset.h"
#include "tests/fuzz/fuzz_events.h"

namespace {

constexpr const char* kBase = R"(
- list: shell_binaries
  items: [ash, bash, sh, zsh]
- macro: spawned_process
  condition: (evt.type in (execve, execveat))
- macro: container
  condition: (container.id != host)
- macro: open_read
  condition: (evt.type in (open, openat, openat2) and evt.is_open_read=true and fd.typechar='f' and fd.num>=0)
- rule: Terminal shell in container
  desc: A shell with a terminal in a container.
  condition: spawned_process and container and proc.name in (shell_binaries) and proc.tty != 0
  output: "shell %proc.name %container.id %k8s.pod.name"
  priority: NOTICE
  tags: [container, shell]
- rule: Read sensitive file
  desc: d
  condition: open_read and fd.name in (/etc/shadow, /etc/sudoers)
  output: "%fd.name %proc.name"
  priority: WARNING
  exceptions:
    - name: trusted
      fields: [proc.name]
      values: [[sshd]]
)";

void exercise(const riposte::detector::rules::LoadResult& res) {
  using namespace riposte::detector::rules;
  if (res.ruleset == nullptr) std::abort();
  for (const auto& d : res.diagnostics) (void)d.str();
  for (const auto& r : res.ruleset->all_rules()) (void)explain_rule(*r);
  std::vector<const CompiledRule*> out;
  for (const auto& ev : riposte::detector::rules::fuzz::events()) {
    size_t n = res.ruleset->evaluate(ev, &out);
    if (n != out.size()) std::abort();
    for (const CompiledRule* r : out) {
      riposte::Alert a = make_alert(*r, ev, "node-1");
      (void)format_text_line(a);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace riposte::detector::rules;
  std::string input(reinterpret_cast<const char*>(data), size);
  LoadOptions o;
  o.hostname = "node-1";
  o.expand_conditions = true;
  o.rule_matching = RuleMatching::kAll;
  exercise(load_rules_from_string(input, o, "fuzz.yaml"));
  o.rule_matching = RuleMatching::kFirst;
  exercise(load_rules_from_sources({{"base.yaml", kBase}, {"local.yaml", input}}, o));
  return 0;
}
