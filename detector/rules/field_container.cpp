// The container.* fields: one row each (field_table.h). A process outside any container is
// in the "host" container, as with Falco's container plugin.
#include <charconv>

#include "detector/rules/field_table.h"

namespace riposte::detector::rules {

namespace {

using T = FieldType;
using A = ArgMode;
using FC = FieldClass;

constexpr std::string_view kNoMounts = "container mounts are not read";

// container.mount.source[x] / container.mount.dest[x]: x is an index, or a path (a trailing
// `*` a prefix) matched against the other end of the mount; a missing mount is the literal
// "<NA>", which is what rules compare against (not container.mount.dest[/proc*] in ("<NA>")).
void mount_end(const ResolvedField& f, const EvalContext& c, bool dest, Out* o) {
  const ContainerInfo* ci = container_of(c);
  if (ci == nullptr) return;
  int64_t idx = -1;
  auto r = std::from_chars(f.key.data(), f.key.data() + f.key.size(), idx);
  const bool by_index = r.ec == std::errc() && r.ptr == f.key.data() + f.key.size();
  for (size_t i = 0; i < ci->mounts.size(); ++i) {
    const auto& m = ci->mounts[i];
    bool hit = false;
    if (by_index) {
      hit = static_cast<int64_t>(i) == idx;
    } else {
      std::string_view other = dest ? m.source : m.dest;
      std::string_view pat = f.key;
      if (!pat.empty() && pat.back() == '*') {
        pat.remove_suffix(1);
        hit = other.substr(0, pat.size()) == pat;
      } else {
        hit = other == pat;
      }
    }
    if (hit) return o->str(dest ? std::string_view(m.dest) : std::string_view(m.source));
  }
  o->str("<NA>");
}

constexpr FieldDef kRows[] = {
    {.name = "container.id",
     .type = T::kString,
     .str = STR(if (!p) return false;
                *out = p->container ? std::string_view(p->container->id) : std::string_view("host");
                return true;),
     .cost = {2},
     .cls = FC::kContainerId},
    {.name = "container.full_id",
     .type = T::kString,
     .extract = EXTRACT(if (p) o->str(p->container ? std::string_view(p->container->full_id)
                                                   : std::string_view("host"));),
     .cost = {2},
     .cls = FC::kContainerId},
    {.name = "container.name",
     .type = T::kString,
     .str = STR(if (!p) return false; if (!p->container) {
       *out = "host";
       return true;
     } if (p->container->name.empty()) return false;
                *out = p->container->name; return true;),
     .cost = {2},
     .cls = FC::kContainerId},
    {.name = "container.image",
     .type = T::kString,
     .str = STR(const ContainerInfo* ci = container_of(c);
                if (!ci || ci->image.empty()) return false; *out = ci->image; return true;),
     .cost = {2}},
    {.name = "container.image.repository",
     .type = T::kString,
     .str = STR(const ContainerInfo* ci = container_of(c);
                if (!ci || ci->image_repository.empty()) return false; *out = ci->image_repository;
                return true;),
     .cost = {2}},
    {.name = "container.image.tag",
     .type = T::kString,
     .extract = EXTRACT(if (auto* ci = container_of(c); ci && !ci->image_tag.empty())
                            o->str(ci->image_tag);),
     .cost = {2}},
    {.name = "container.type",
     .type = T::kString,
     .extract = EXTRACT(if (p) o->str(p->container ? std::string_view(p->container->runtime)
                                                   : std::string_view("host"));),
     .cost = {2},
     .cls = FC::kStructural},
    {.name = "container.privileged",
     .type = T::kBool,
     .num = NUM(const ContainerInfo* ci = container_of(c); if (!ci) return false;
                *out = ci->privileged; return true;),
     .cost = {1},
     .cls = FC::kRareFlag},
    {.name = "container.start_ts",
     .type = T::kAbsTime,
     .extract = EXTRACT(if (auto* ci = container_of(c); ci && ci->start_ns != 0)
                            o->num(static_cast<int64_t>(ci->start_ns));),
     .cost = {1}},
    {.name = "container.duration",
     .type = T::kRelTime,
     .extract = EXTRACT(
         if (auto* ci = container_of(c); ci && ci->start_ns != 0 && c.ev->ts_ns >= ci->start_ns)
             o->num(static_cast<int64_t>(c.ev->ts_ns - ci->start_ns));),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "container.mounts",
     .type = T::kString,
     .extract = EXTRACT(const ContainerInfo* ci = container_of(c); if (!ci) return;
                        std::string& b = c.scratch->buffer(); for (const auto& m
                                                                   : ci->mounts) {
                          if (!b.empty()) b += ',';
                          b += m.source;
                          b += ':';
                          b += m.dest;
                          b += m.read_write ? ":true" : ":false";
                        } o->str(b);),
     .cost = {20},
     .unfilled = kNoMounts},
    {.name = "container.mount.source",
     .type = T::kString,
     .arg = A::kKeyRequired,
     .extract = EXTRACT(mount_end(f, c, false, o);),
     .cost = {20},
     .unfilled = kNoMounts},
    {.name = "container.mount.dest",
     .type = T::kString,
     .arg = A::kKeyRequired,
     .extract = EXTRACT(mount_end(f, c, true, o);),
     .cost = {20},
     .unfilled = kNoMounts},
    // Renders as nothing, as with Falco's container plugin.
    {.name = "container.info", .type = T::kString, .extract = EXTRACT(o->str("");), .cost = {2}},
};

}  // namespace

std::span<const FieldDef> container_fields() { return kRows; }

}  // namespace riposte::detector::rules
