// libFuzzer target: riposte-audit's EventList parser (audit/event_list.cpp). The input is a
// webhook body. Whatever it is, parsing must return (a refusal with a reason, or events);
// every event parsed is evaluated against k8s_audit rules (Falco's own file when
// $RIPOSTE_K8S_AUDIT_RULES names it, else a small built-in set touching every field family)
// and an alert is rendered for each match, so the ka.* / jevt.* extractors see hostile JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "audit/event_list.h"
#include "detector/rules/ruleset.h"

namespace {

using namespace riposte;

constexpr const char* kBuiltin = R"(
- rule: every field
  desc: d
  condition: >
    jevt.rawtime exists and (ka.verb in (create, get) or ka.req.pod.containers.privileged
    intersects (true) or ka.req.role.rules.verbs intersects ("*") or ka.uri.param[command] = sh
    or ka.req.volume.hostpath[/et*] = true or ka.req.pod.volumes.volume_type intersects (hostPath)
    or jevt.value[/requestObject/spec/containers/0/name] exists or ka.user.groups contains x)
  output: >
    %ka.user.name %ka.target.namespace %ka.target.name %ka.req.pod.containers.image
    %ka.req.pod.containers.image.repository %ka.req.pod.containers.host_port
    %ka.req.pod.containers.eff_run_as_user %ka.req.pod.initContainers.eff_run_as_group
    %ka.req.role.rules %ka.req.binding.subjects %ka.req.configmap.obj %ka.response.code
    %ka.req.service.ports %ka.req.container.privileged %ka.req.container.image %jevt.obj
    %ka.sourceips %ka.uri.param[container] %ka.req.pod.ephemeralContainers.add_capabilities
  priority: WARNING
  source: k8s_audit
)";

const detector::rules::Ruleset& rules() {
  static std::unique_ptr<detector::rules::Ruleset> rs = [] {
    detector::rules::LoadOptions o;
    o.rule_matching = detector::rules::RuleMatching::kAll;
    o.hostname = "fuzz";
    const char* file = std::getenv("RIPOSTE_K8S_AUDIT_RULES");
    auto r = file != nullptr ? detector::rules::load_rules({file}, o)
                             : detector::rules::load_rules_from_string(kBuiltin, o);
    if (!r.ok()) std::abort();  // the fuzzer needs rules that load
    return std::move(r.ruleset);
  }();
  return *rs;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const detector::rules::Ruleset& rs = rules();
  std::string_view body(reinterpret_cast<const char*>(data), size);
  audit::ParseLimits limits;
  limits.max_event_bytes = 8192;
  audit::ParsedBatch batch;
  audit::Rejection why;
  if (!audit::parse_event_list(body, limits, &batch, &why)) {
    if (why.reason.empty()) std::abort();  // a refusal always says why
    return 0;
  }
  std::vector<const detector::rules::CompiledRule*> hits;
  uint64_t num = 0;
  for (const auto& a : batch.events) {
    detector::Event ev = detector::make_audit_event(a, ++num);
    rs.evaluate(ev, &hits);
    for (const auto* r : hits) (void)detector::rules::make_alert(*r, ev, "fuzz");
  }
  return 0;
}
