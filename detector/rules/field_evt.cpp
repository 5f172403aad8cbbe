// The evt.* (and syscall.type) fields: one row each (field_table.h).
#include <sys/stat.h>

#include <cstdio>
#include <ctime>

#include "detector/rules/event_args.h"
#include "detector/rules/field_table.h"

namespace riposte::detector::rules {

namespace {

using T = FieldType;
using A = ArgMode;
using FC = FieldClass;
using ET = EventType;

void time_text(const EvalContext& c, bool iso8601, Out* o) {
  const uint64_t ts = c.ev->ts_ns;
  std::string& b = c.scratch->buffer();
  std::time_t secs = static_cast<std::time_t>(ts / 1000000000ull);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(
      buf, sizeof buf,
      iso8601 ? "%04d-%02d-%02dT%02d:%02d:%02d.%09lluZ" : "%04d-%02d-%02d %02d:%02d:%02d.%09llu",
      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
      static_cast<unsigned long long>(ts % 1000000000ull));
  b += buf;
  o->str(b);
}

// evt.is_open_*: false on events that are not opens.
enum OpenKind { kRead, kWrite, kExec, kCreate };
template <OpenKind K>
bool is_open(const Event& ev) {
  uint32_t fl = 0;
  if (!open_flags(ev, &fl)) return false;
  const uint32_t acc = fl & O_ACCMODE;
  switch (K) {
    case kRead:
      return acc == O_RDONLY || acc == O_RDWR;
    case kWrite:
      return acc == O_WRONLY || acc == O_RDWR;
    case kCreate:
      return (fl & O_CREAT) != 0;
    case kExec:
      return (fl & O_CREAT) != 0 && (ev.args.mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;
  }
  return false;
}

bool is_io_read(ET t) {
  return t == ET::kRead || t == ET::kPread || t == ET::kReadv || t == ET::kRecvfrom ||
         t == ET::kRecvmsg;
}
bool is_io_write(ET t) {
  return t == ET::kWrite || t == ET::kPwrite || t == ET::kWritev || t == ET::kSendto ||
         t == ET::kSendmsg || t == ET::kSendfile;
}

void arg(const ResolvedField& f, const EvalContext& c, bool raw, Out* o) {
  if (f.sub != kArgUnknown && event_has_arg(c.ev->type, f.sub)) render_event_arg(c, f.sub, raw, o);
}

constexpr FieldDef kRows[] = {
    {.name = "evt.type",
     .type = T::kString,
     .extract = EXTRACT(o->str(event_type_name(c.ev->type));),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "evt.dir",
     .type = T::kString,
     .extract = EXTRACT(o->str(c.ev->dir == '>' ? std::string_view(">") : std::string_view("<"));),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "evt.time",
     .type = T::kString,
     .extract = EXTRACT(std::string& b = c.scratch->buffer(); format_time_hms(c.ev->ts_ns, &b);
                        o->str(b);),
     .cost = {20}},
    {.name = "evt.time.s",
     .type = T::kString,
     .extract = EXTRACT(std::string& b = c.scratch->buffer(); format_time_hms(c.ev->ts_ns, &b);
                        b.resize(8); o->str(b);),
     .cost = {20}},
    {.name = "evt.time.iso8601",
     .type = T::kString,
     .extract = EXTRACT(time_text(c, true, o);),
     .cost = {20}},
    {.name = "evt.datetime",
     .type = T::kString,
     .extract = EXTRACT(time_text(c, false, o);),
     .cost = {20}},
    {.name = "evt.rawtime",
     .type = T::kInt,
     .extract = EXTRACT(o->num(static_cast<int64_t>(c.ev->ts_ns));),
     .cost = {1}},
    {.name = "evt.rawtime.s",
     .type = T::kInt,
     .extract = EXTRACT(o->num(static_cast<int64_t>(c.ev->ts_ns / 1000000000ull));),
     .cost = {1}},
    {.name = "evt.rawtime.ns",
     .type = T::kInt,
     .extract = EXTRACT(o->num(static_cast<int64_t>(c.ev->ts_ns));),
     .cost = {1}},
    {.name = "evt.num",
     .type = T::kInt,
     .num = NUM(*out = static_cast<int64_t>(c.ev->num); return true;),
     .cost = {1},
     .cls = FC::kSequence},
    {.name = "evt.cpu",
     .type = T::kInt,
     .num = NUM(if (c.ev->cpu < 0) return false; *out = c.ev->cpu; return true;),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "evt.res",
     .type = T::kString,
     .extract = EXTRACT(const int64_t res = c.ev->res; if (res >= 0) return o->str("SUCCESS");
                        std::string_view n = errno_name(-res); if (!n.empty()) return o->str(n);
                        std::string& b = c.scratch->buffer(); append_int(res, &b); o->str(b);),
     .cost = {2},
     .cls = FC::kStructural},
    {.name = "evt.rawres",
     .type = T::kInt,
     .num = NUM(*out = c.ev->res; return true;),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "evt.failed",
     .type = T::kBool,
     .num = NUM(*out = c.ev->res < 0; return true;),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "evt.is_open_read",
     .type = T::kBool,
     .num = NUM(*out = is_open<kRead>(*c.ev); return true;),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "evt.is_open_write",
     .type = T::kBool,
     .num = NUM(*out = is_open<kWrite>(*c.ev); return true;),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "evt.is_open_exec",
     .type = T::kBool,
     .extract = EXTRACT(o->boolean(is_open<kExec>(*c.ev));),
     .cost = {1},
     .cls = FC::kRareFlag},
    {.name = "evt.is_open_create",
     .type = T::kBool,
     .extract = EXTRACT(o->boolean(is_open<kCreate>(*c.ev));),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "evt.hostname",
     .type = T::kString,
     .extract = EXTRACT(o->str(c.hostname);),
     .cost = {2}},
    {.name = "evt.args",
     .type = T::kString,
     .extract = EXTRACT(std::string& b = c.scratch->buffer(); render_all_args(c, &b); o->str(b);),
     .cost = {20}},
    {.name = "evt.arg",
     .type = T::kString,
     .arg = A::kParam,
     .dotted = true,
     .extract = EXTRACT(arg(f, c, false, o);),
     .cost = {8}},
    {.name = "evt.rawarg",
     .type = T::kString,
     .arg = A::kRawParam,
     .dotted = true,
     .extract = EXTRACT(arg(f, c, true, o);),
     .cost = {8}},
    {.name = "evt.buffer",
     .type = T::kBytes,
     .extract = EXTRACT(if (!c.ev->args.data.empty()) o->str(c.ev->args.data);),
     .cost = {4},
     .unfilled = "I/O buffers are not captured"},
    {.name = "evt.source",
     .type = T::kString,
     .extract = EXTRACT(o->str(c.ev->type == EventType::kPluginEvent ? "k8s_audit" : "syscall");),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "evt.is_async",
     .type = T::kBool,
     .extract = EXTRACT(o->boolean(false);),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "evt.category",
     .type = T::kString,
     .extract = EXTRACT(const ET t = c.ev->type; std::string_view cat = "other";
                        if (is_open_family(t) || t == ET::kClose) cat = "file";
                        if (t == ET::kExecve || t == ET::kExecveat || t == ET::kClone ||
                            t == ET::kClone3 || t == ET::kFork || t == ET::kVfork ||
                            t == ET::kProcExit) cat = "process";
                        if (t >= ET::kConnect && t <= ET::kRecvmsg) cat = "net"; o->str(cat);),
     .cost = {2},
     .cls = FC::kStructural},
    {.name = "syscall.type",
     .type = T::kString,
     .extract = EXTRACT(o->str(event_type_name(c.ev->type));),
     .cost = {1},
     .cls = FC::kStructural},
    // Reads and writes of data through an fd (Falco's EF_READS_FROM_FD / EF_WRITES_TO_FD).
    {.name = "evt.is_io",
     .type = T::kBool,
     .extract = EXTRACT(o->boolean(is_io_read(c.ev->type) || is_io_write(c.ev->type));),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "evt.is_io_read",
     .type = T::kBool,
     .extract = EXTRACT(o->boolean(is_io_read(c.ev->type));),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "evt.is_io_write",
     .type = T::kBool,
     .extract = EXTRACT(o->boolean(is_io_write(c.ev->type));),
     .cost = {1},
     .cls = FC::kStructural},
    // Falco's event counter for aggregations: 1 for every event.
    {.name = "evt.count", .type = T::kInt, .extract = EXTRACT(o->num(1);), .cost = {1}},
};

}  // namespace

std::span<const FieldDef> evt_fields() { return kRows; }

bool is_event_type_field(const ResolvedField& f) { return f.def == &kRows[0]; }

}  // namespace riposte::detector::rules
