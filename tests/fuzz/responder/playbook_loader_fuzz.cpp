// libFuzzer target: the playbook loader. The input is a playbook file; whatever loads is run
// in dry-run, with the planning client, against two alerts (templates, `when`, `stop`,
// cooldown keys and every action's planning). Errors must come back as diagnostics with
// positions, never as crashes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/log.h"
#include "responder/planning_kube_client.h"
#include "responder/playbook/engine.h"
#include "responder/playbook/playbook.h"

namespace {

riposte::Alert sample(bool full) {
  riposte::Alert a;
  a.time_ns = 1'764'000'000'123'456'789;
  a.rule = "Terminal shell in container";
  a.priority = riposte::Priority::kWarning;
  a.hostname = "node-1";
  a.output = "06:51:02.123456789: Warning shell";
  a.tags = {"container", "shell"};
  if (full) {
    a.output_fields["k8s.ns.name"] = "shop";
    a.output_fields["k8s.pod.name"] = "web-7d4b9-x2x9z";
    a.output_fields["container.image.repository"] = "docker.io/library/httpd";
    a.output_fields["proc.pid"] = 42;
  }
  return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    riposte::log::set_level(riposte::log::Level::kError);
    return true;
  }();
  (void)quiet;
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  auto loaded = riposte::playbook::parse_playbooks(yaml, "fuzz.yaml");
  for (const auto& d : loaded.errors) {
    if (d.message.empty() || d.line < 0 || d.column < 0) std::abort();
    (void)d.str();
  }
  if (loaded.playbooks.empty()) return 0;
  for (bool full : {true, false}) {
    const riposte::Alert alert = sample(full);
    riposte::responder::PlanningKubeClient kube(alert);
    riposte::playbook::Engine engine(loaded.playbooks, kube, {});
    for (const auto* pb : engine.matching(alert)) {
      // Steps with a timeout would leave threads behind; they are planned without one.
      riposte::playbook::Playbook copy = *pb;
      for (auto& s : copy.steps) s.timeout_ms = 0;
      auto outcome = engine.run(copy, alert, /*force_dry_run=*/true);
      (void)riposte::playbook::to_json(outcome).dump(-1, ' ', false,
                                                     nlohmann::json::error_handler_t::replace);
      if (pb->cooldown) (void)riposte::playbook::cooldown_target(*pb->cooldown, alert);
    }
  }
  return 0;
}
