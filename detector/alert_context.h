// Every alert names the workload it came from, whatever its rule's output says: the
// responder acts on k8s.ns.name / k8s.pod.name, and a person reading an upstream Falco rule's
// alert needs to know which container it was. Like Falco's append_output, the missing ones of
// container.id, container.name, container.image.repository, k8s.ns.name and k8s.pod.name are
// added to output_fields (null when unknown) and to the output text.
#pragma once

#include "common/alert.h"
#include "detector/event/event.h"

namespace riposte::detector {

void append_context(const Event& ev, Alert* alert);

}  // namespace riposte::detector
