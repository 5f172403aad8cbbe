// Helpers for the rules tests: a tiny process table and event builders.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "detector/event/event.h"
#include "detector/rules/ruleset.h"

namespace riposte::detector::rules::testing {

class World : public ProcessLookup {
 public:
  const ProcessInfo* find(int64_t pid) const override {
    auto it = procs_.find(pid);
    return it == procs_.end() ? nullptr : it->second.get();
  }
  ProcessInfo* add(int64_t pid, int64_t ppid, std::string name, std::vector<std::string> args = {},
                   std::shared_ptr<const ContainerInfo> container = nullptr) {
    auto p = std::make_unique<ProcessInfo>();
    p->pid = p->tid = p->vpid = p->vtid = pid;
    p->ppid = ppid;
    p->sid = p->pgid = pid;
    p->name = name;
    p->exe = name;
    p->exepath = "/usr/bin/" + name;
    p->args = std::move(args);
    p->user_name = "root";
    p->group_name = "root";
    p->container = std::move(container);
    ProcessInfo* raw = p.get();
    procs_[pid] = std::move(p);
    return raw;
  }

 private:
  std::map<int64_t, std::unique_ptr<ProcessInfo>> procs_;
};

inline std::shared_ptr<ContainerInfo> make_container(std::string id = "abcdef123456") {
  auto c = std::make_shared<ContainerInfo>();
  c->id = id;
  c->full_id = id + std::string(64 - id.size(), '0');
  c->runtime = "containerd";
  c->name = "web";
  c->image = "docker.io/library/nginx:1.25";
  c->image_repository = "docker.io/library/nginx";
  c->image_tag = "1.25";
  auto pod = std::make_shared<PodInfo>();
  pod->uid = "1111-2222";
  pod->name = "web-7d4b9";
  pod->ns = "shop";
  pod->labels = {{"app", "web"}, {"tier", "frontend"}};
  c->pod = pod;
  return c;
}

inline Event make_event(EventType type, const ProcessInfo* p, const World* w) {
  Event e;
  e.type = type;
  e.dir = '<';
  e.ts_ns = 1700000000123456789ull;
  e.num = 42;
  e.res = 0;
  e.proc = p;
  e.procs = w;
  return e;
}

inline LoadResult load(const std::string& yaml, RuleMatching m = RuleMatching::kAll) {
  LoadOptions o;
  o.rule_matching = m;
  o.hostname = "node-1";
  return load_rules_from_string(yaml, o, "test.yaml");
}

// A file of Falco's rulesets, read from ../shared/falco-rules beside the source tree.
inline std::string corpus_file(const std::string& name) {
  const char* src = std::getenv("RIPOSTE_SOURCE_DIR");
  std::filesystem::path base = src != nullptr ? src : ".";
  return (base / ".." / "shared" / "falco-rules" / name).lexically_normal().string();
}

// Falco's three syscall rulesets and riposte's defaults, in load order, every rule reported:
// the corpus the exactness sweeps (exec names, kernel programs) run over.
inline LoadResult load_every_syscall_ruleset() {
  const char* src = std::getenv("RIPOSTE_SOURCE_DIR");
  LoadOptions o;
  o.rule_matching = RuleMatching::kAll;
  return load_rules(
      {corpus_file("falco_rules.yaml"), corpus_file("falco-incubating_rules.yaml"),
       corpus_file("falco-sandbox_rules.yaml"),
       std::string(src != nullptr ? src : ".") + "/detector/default_rules/riposte_rules.yaml"},
      o);
}

inline std::string diags(const LoadResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics) s += d.str() + "\n";
  return s;
}

inline std::string errors_only(const LoadResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics)
    if (d.severity == Diagnostic::kError) s += d.str() + "\n";
  return s;
}

// The names of r's rules that match ev, in order; none when r did not load.
inline std::vector<std::string> matching(const LoadResult& r, const Event& ev) {
  std::vector<std::string> names;
  if (!r.ruleset) return names;
  std::vector<const CompiledRule*> out;
  r.ruleset->evaluate(ev, &out);
  for (const auto* c : out) names.push_back(c->name);
  return names;
}

}  // namespace riposte::detector::rules::testing
