// The event parameters behind evt.arg.* / evt.rawarg.* / evt.args (internal to riposte_rules).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "detector/rules/field_table.h"

namespace riposte::detector::rules {

// Parameter names riposte models; the id is ResolvedField::sub of evt.arg/evt.rawarg.
enum ArgName : uint16_t {
  kArgUnknown = 0,
  kArgName,
  kArgPath,
  kArgFilename,
  kArgPathname,
  kArgExe,
  kArgOldpath,
  kArgNewpath,
  kArgTarget,
  kArgLinkpath,
  kArgDev,
  kArgDir,
  kArgType,
  kArgFlags,
  kArgMode,
  kArgFd,
  kArgOldfd,
  kArgNewfd,
  kArgPid,
  kArgRequest,
  kArgUid,
  kArgGid,
  kArgRuid,
  kArgEuid,
  kArgSuid,
  kArgRgid,
  kArgEgid,
  kArgSgid,
  kArgNstype,
  kArgCmd,
  kArgDomain,
  kArgProto,
  kArgRes,
  kArgResOrFd,
  kArgData,
  kArgOption,
  kArgSig,
  kArgCount
};

uint16_t arg_id(std::string_view key);  // kArgUnknown when riposte does not model it
bool arg_is_numeric(uint16_t a);        // evt.rawarg.<a> is a number
bool event_has_arg(EventType t, uint16_t a);

// One parameter as Falco prints it (raw = evt.rawarg: numbers stay numbers).
void render_event_arg(const EvalContext& c, uint16_t a, bool raw, Out* o);
// evt.args: "name=value" for every parameter of the event type.
void render_all_args(const EvalContext& c, std::string* out);

}  // namespace riposte::detector::rules
