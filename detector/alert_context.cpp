#include "detector/alert_context.h"

namespace riposte::detector {

void append_context(const Event& ev, Alert* alert) {
  const ContainerInfo* c = ev.proc != nullptr ? ev.proc->container.get() : nullptr;
  const PodInfo* pod = c != nullptr ? c->pod.get() : nullptr;
  // Falco's values: a host process's container is "host"; unknown values are null / <NA>.
  auto value = [](const std::string* s) -> nlohmann::ordered_json {
    if (s == nullptr || s->empty()) return nullptr;
    return *s;
  };
  static const std::string kHost = "host";
  struct Field {
    const char* name;  // output_fields key
    const char* text;  // key in the output text
    nlohmann::ordered_json value;
  };
  const Field fields[] = {
      {"container.id", "container_id", value(c ? &c->id : &kHost)},
      {"container.name", "container_name", value(c ? &c->name : &kHost)},
      {"container.image.repository", "container_image_repository", value(c ? &c->image_repository : nullptr)},
      {"k8s.ns.name", "k8s_ns_name", value(pod ? &pod->ns : nullptr)},
      {"k8s.pod.name", "k8s_pod_name", value(pod ? &pod->name : nullptr)},
  };
  bool first = true;
  for (const Field& f : fields) {
    if (alert->output_fields.contains(f.name)) continue;
    alert->output_fields[f.name] = f.value;
    if (first) alert->rule_output_size = alert->output.size();
    alert->output += first ? " | " : " ";
    first = false;
    alert->output += f.text;
    alert->output += '=';
    alert->output += f.value.is_null() ? "<NA>" : f.value.get<std::string>();
  }
}

}  // namespace riposte::detector
