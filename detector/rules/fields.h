// Falco's field catalogue as served from riposte's event model (detector/event/event.h):
// name resolution at load time, and allocation-free extraction at evaluation time.
//
// Extraction writes FieldValues whose string_views point either into the event's state
// (process, fd, container, args) or into an EvalScratch buffer that keeps its capacity
// between events, so the steady state does no heap allocation.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detector/event/event.h"

namespace riposte::detector::rules {

enum class FieldType : uint8_t {
  kString,
  kBytes,    // string compared byte-wise (evt.buffer); bcontains / bstartswith
  kInt,      // signed 64-bit
  kBool,
  kIp,       // an address; compares against addresses or CIDR networks
  kIpNet,    // an address matched against CIDR networks (fd.net...)
  kPort,     // number
  kAbsTime,  // ns since the epoch (number); evt.time itself is a "HH:MM:SS.nnnnnnnnn" string
  kRelTime,  // duration in ns; number
};

bool is_numeric(FieldType t);

// The event sources rules are written for (a rule's `source:` key): Falco's syscall source,
// and k8s_audit, the API server's audit events (Falco's k8saudit plugin).
enum class RuleSource : uint8_t { kSyscall, kK8sAudit };
std::optional<RuleSource> parse_rule_source(std::string_view name);

struct FieldDef;  // a row of the catalogue (field_table.h)

// A field reference resolved against the catalogue: "proc.aname[2]" → (kProcAname, index 2).
struct ResolvedField {
  // Hot members first: evaluation reads these for every check.
  const FieldDef* def = nullptr;
  FieldType type = FieldType::kString;
  bool multi = false;  // may yield several values (e.g. proc.aname without index: any ancestor)
  uint16_t sub = 0;    // resolved sub-selector (evt.arg name id)
  int64_t index = -1;  // numeric argument; -1 = none
  std::string key;     // string argument ("app" for k8s.pod.label[app], "flags" for evt.arg.flags)
  std::string name;    // canonical display name as Falco prints it in output_fields: "proc.aname[2]"
};

// Resolves "name" with an optional bracket argument. On failure returns false and sets
// *error ("unknown field 'foo.bar'" or an argument problem).
bool resolve_field(std::string_view name, std::string_view arg, bool has_arg, ResolvedField* out,
                   std::string* error);

// Whether a resolved field can be read from events of `src` (ka.* and jevt.* only from
// k8s_audit, proc.*, fd.*... only from syscall, a few generic evt.* from both); else *error
// says why, in the words of an unknown field.
bool field_in_source(const ResolvedField& f, RuleSource src, std::string* error);

// A field riposte's sensor never fills: its catalogue name ("container.mount.dest" for
// "container.mount.dest[/proc]") and why, as its catalogue row says.
struct UnfilledField {
  std::string_view field, reason;
};
// For a canonical field name ("fd.sip.name", "container.mount.dest[/proc]"); nullopt when the
// sensor fills it, or the name is unknown.
std::optional<UnfilledField> field_unfilled(std::string_view name);

// Resolves a field written in output format syntax starting at text[0] ("proc.aname[2]=..."):
// the longest known field name, then an optional [arg] or .arg. Sets *consumed.
bool resolve_field_prefix(std::string_view text, ResolvedField* out, size_t* consumed,
                          std::string* error);

struct FieldValue {
  FieldType type = FieldType::kString;
  bool flag = false;
  int64_t num = 0;
  std::string_view str;
  IpAddr ip;
};

inline constexpr size_t kMaxFieldValues = 64;

// Reusable buffers for values that must be built (proc.cmdline, rendered flags, transformer
// output). Buffers keep their capacity across events. Views handed out stay valid until
// reset() is called (at the start of each check and each output rendering).
class EvalScratch {
 public:
  std::string& buffer() {
    if (next_ == bufs_.size()) bufs_.emplace_back();
    std::string& b = bufs_[next_++];
    b.clear();
    return b;
  }
  void reset() { next_ = 0; }

  // Starts a new event: invalidates the per-event memos below (built strings, ancestors,
  // remembered sub-condition results).
  void begin_event() {
    memo_valid_ = 0;
    anc_known_ = 0;
    if (++epoch_ >= (1u << 31)) {  // results are stored as (epoch << 1) | value
      std::fill(results_.begin(), results_.end(), 0u);
      epoch_ = 1;
    }
  }

  // Per-event memo of values built from the process (proc.cmdline, proc.args,
  // proc.pcmdline, thread.cap_*).
  enum Memo : unsigned {
    kCmdline = 1, kArgs = 2, kPcmdline = 4, kCapEffective = 8, kCapPermitted = 16,
    kCapInheritable = 32, kMemoCount = 6
  };
  bool memo(Memo m, std::string** out) {
    std::string* s = &memo_str_[__builtin_ctz(m)];
    *out = s;
    if (memo_valid_ & m) return true;
    s->clear();
    memo_valid_ |= m;
    return false;
  }

  // The event's process (0) and its ancestors (1 = parent, ...), looked up in the process
  // table at most once per event. Filled by fields.cpp.
  static constexpr size_t kMaxAncestors = 65;
  const ProcessInfo* anc_[kMaxAncestors];
  uint32_t anc_known_ = 0;  // entries of anc_ that are valid for this event
  bool anc_end_ = false;    // the chain ends after anc_known_ entries

  // Remembered results of sub-conditions shared by several rules (filter.h), one slot each:
  // (epoch << 1) | result, valid when the epoch is the current event's.
  void reserve_results(size_t n) {
    if (results_.size() < n) results_.resize(n, 0u);
  }
  uint32_t* results() { return results_.data(); }
  uint32_t epoch() const { return epoch_; }

  // Value arrays for one check (left and right side), kept here so evaluation does not
  // initialise them per check.
  FieldValue lhs[kMaxFieldValues];
  FieldValue rhs[kMaxFieldValues];

 private:
  std::deque<std::string> bufs_;
  size_t next_ = 0;
  unsigned memo_valid_ = 0;
  std::string memo_str_[kMemoCount];
  std::vector<uint32_t> results_;
  uint32_t epoch_ = 1;
};

struct EvalContext {
  const Event* ev = nullptr;
  std::string_view hostname;
  EvalScratch* scratch = nullptr;
};

// Extracts up to `cap` values; returns how many (0 = the field has no value for this event).
size_t extract_field(const ResolvedField& f, const EvalContext& ctx, FieldValue* out, size_t cap);

// Fast single-value accessors for the hottest fields, used by the compiler when a check reads
// one of them without transformers. Each gives exactly the first value extract_field() would,
// and returns false when the field has no value. Numbers, ports, times and booleans (0/1)
// come out as int64_t. Null when the field has no fast accessor.
using StrGetter = bool (*)(const ResolvedField&, const EvalContext&, std::string_view*);
using NumGetter = bool (*)(const ResolvedField&, const EvalContext&, int64_t*);
StrGetter fast_str_getter(const ResolvedField& f);
NumGetter fast_num_getter(const ResolvedField& f);

// Text rendering as Falco prints it in the output line (no "<NA>" handling: callers do that).
void append_value_text(const FieldValue& v, std::string* out);

// Helpers shared with output rendering.
std::string_view errno_name(int64_t err);  // "ENOENT"; "" when unknown
void format_time_hms(uint64_t ts_ns, std::string* out);  // "HH:MM:SS.nnnnnnnnn" (UTC)
void format_ip(const IpAddr& ip, std::string* out);
bool parse_ip(std::string_view s, IpAddr* out);
// "10.0.0.0/8", "fe80::/10" or a plain address (= full-length prefix).
struct IpNet {
  IpAddr addr;
  uint8_t prefix = 0;
};
bool parse_cidr(std::string_view s, IpNet* out);
bool ip_in_net(const IpAddr& ip, const IpNet& net);

bool is_event_type_field(const ResolvedField& f);

// True for fields whose values are a socket's two ends (fd.ip, fd.net, fd.port): `!=` on them
// holds only when every value differs (libsinsp's compare_ip/compare_net/compare_port).
bool ne_needs_every_value(const ResolvedField& f);

// Relative cost of extracting a field (1 = reading a number from the event; ancestor walks,
// built strings and rendered flags cost more). The compiler evaluates cheaper checks first.
int field_cost(const ResolvedField& f);

// How a field's values are spread, for guessing how often a check on it holds (the compiler
// tries likely-false operands of an `and` first).
enum class FieldClass : uint8_t {
  kIdentity,     // names, paths, ids, command lines: a given constant rarely matches
  kStructural,   // what kind of event/fd it is (fd.typechar, evt.is_open_read, fd.num...)
  kRareFlag,     // booleans that are rarely true (proc.is_exe_upper_layer, privileged...)
  kTty,          // proc.tty: 0 for almost every process
  kSequence,     // evt.num
  kContainerId,  // container.id: "host" or an id
};
FieldClass field_class(const ResolvedField& f);

// A list field without an index (ka.user.groups, ka.req.pod.containers.image): an output
// shows all its values as "(a,b)".
bool renders_as_list(const ResolvedField& f);

// Every field name the catalogue knows (for docs and tests).
std::vector<std::string_view> known_field_names();

}  // namespace riposte::detector::rules
