// The user.* and group.* fields: one row each (field_table.h).
#include "detector/rules/field_table.h"

namespace riposte::detector::rules {

namespace {

using T = FieldType;
using FC = FieldClass;

constexpr FieldDef kRows[] = {
    {.name = "user.uid",
     .type = T::kInt,
     .num = NUM(if (!p) return false; *out = p->uid; return true;),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "user.name",
     .type = T::kString,
     .str = STR(if (!p || p->user_name.empty()) return false; *out = p->user_name; return true;),
     .cost = {2}},
    // The kernel's "unset" (uint32 -1) prints as -1, as Falco.
    {.name = "user.loginuid",
     .type = T::kInt,
     .num = NUM(if (!p) return false;
                *out = p->loginuid == UINT32_MAX ? -1 : static_cast<int64_t>(p->loginuid);
                return true;),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "user.loginname",
     .type = T::kString,
     .extract = EXTRACT(if (p && !p->login_name.empty()) o->str(p->login_name);),
     .cost = {2}},
    {.name = "group.gid",
     .type = T::kInt,
     .extract = EXTRACT(if (p) o->num(p->gid);),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "group.name",
     .type = T::kString,
     .extract = EXTRACT(if (p && !p->group_name.empty()) o->str(p->group_name);),
     .cost = {2}},
};

}  // namespace

std::span<const FieldDef> user_fields() { return kRows; }

}  // namespace riposte::detector::rules
