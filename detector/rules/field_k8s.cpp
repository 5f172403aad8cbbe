// The k8s.* fields: one row each (field_table.h), from the pod of the event's container.
#include "detector/rules/field_table.h"

namespace riposte::detector::rules {

namespace {

using T = FieldType;
using A = ArgMode;

constexpr FieldDef kRows[] = {
    {.name = "k8s.ns.name",
     .type = T::kString,
     .str =
         STR(const PodInfo* pod = pod_of(c); if (!pod) return false; *out = pod->ns; return true;),
     .cost = {2}},
    {.name = "k8s.pod.name",
     .type = T::kString,
     .str = STR(const PodInfo* pod = pod_of(c); if (!pod) return false; *out = pod->name;
                return true;),
     .cost = {2}},
    {.name = "k8s.pod.uid",
     .type = T::kString,
     .extract = EXTRACT(if (auto* pod = pod_of(c)) o->str(pod->uid);),
     .cost = {2}},
    {.name = "k8s.pod.id",
     .type = T::kString,  // Falco's older name for k8s.pod.uid
     .extract = EXTRACT(if (auto* pod = pod_of(c)) o->str(pod->uid);),
     .cost = {2}},
    {.name = "k8s.pod.label",
     .type = T::kString,
     .arg = A::kKeyRequired,
     .dotted = true,
     .extract = EXTRACT(const PodInfo* pod = pod_of(c); if (!pod) return;
                        for (const auto& [k, v]
                             : pod->labels) if (k == f.key) return o->str(v);),
     .cost = {4, 0, 12}},
    {.name = "k8s.pod.labels",
     .type = T::kString,
     .extract = EXTRACT(const PodInfo* pod = pod_of(c); if (!pod) return;
                        std::string& b = c.scratch->buffer(); for (const auto& [k, v]
                                                                   : pod->labels) {
                          if (!b.empty()) b += ", ";
                          b += k;
                          b += ':';
                          b += v;
                        } o->str(b);),
     .cost = {20}},
};

}  // namespace

std::span<const FieldDef> k8s_fields() { return kRows; }

}  // namespace riposte::detector::rules
