// event.create: records a core/v1 Event on the alert's pod, so `kubectl describe pod` and
// every tool that watches events shows what riposte saw and did.
//   params: reason (required, UpperCamelCase, e.g. ShellInContainer),
//           message (optional, at most 1024 bytes; default: the alert's rule and output),
//           type (Normal | Warning, default Warning)
//   example: {action: event.create, params: {reason: ShellInContainer, message: "..."}}
#include <chrono>
#include <ctime>

#include "responder/actions/params.h"
#include "responder/actions/registry.h"
#include "responder/actions/subject.h"
#include "responder/dedup.h"

namespace riposte::actions {
namespace {

// The API server's limit on an Event's message.
constexpr size_t kMaxMessage = 1024;
constexpr size_t kMaxReason = 128;

struct Options {
  std::string reason;
  std::string message;
  std::string type = "Warning";
};

// Kubernetes' convention for reasons: UpperCamelCase, letters and digits.
bool is_reason(std::string_view s) {
  if (s.empty() || s.size() > kMaxReason || s.front() < 'A' || s.front() > 'Z') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return true;
}

Options parse_options(const YAML::Node& params, std::vector<ParamError>* errors) {
  ParamReader r(params, errors);
  Options o;
  if (auto reason = r.string("reason")) {
    o.reason = *reason;
    if (!is_reason(o.reason)) {
      r.error(r.mark_of("reason"),
              "\"reason\" must be UpperCamelCase letters and digits, at most 128");
    }
  } else if (!r.has("reason")) {
    r.missing("reason");
  }
  o.message = r.string("message").value_or("");
  o.type = r.one_of("type", {"Normal", "Warning"}).value_or("Warning");
  r.reject_unknown();
  return o;
}

// At most max bytes, cut on a UTF-8 character boundary.
std::string truncate_utf8(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

// The pod's name cut short enough for the server's suffix, ending on a letter or digit (a
// DNS-1123 subdomain cannot have "-." or "..").
std::string name_prefix(const std::string& pod) {
  std::string p = pod.substr(0, 200);
  while (!p.empty() && (p.back() == '.' || p.back() == '-')) p.pop_back();
  return p + ".riposte-";
}

// In a playbook run the name follows from the run and step, so sending the create again
// (a redelivery after its answer was lost) gets 409 rather than recording a second event.
// Elsewhere generateName keeps the request exact in dry-run (the server picks the suffix).
json event_metadata(const ActionContext& ctx, const std::string& pod, const std::string& ns) {
  if (ctx.idempotency_key.empty()) return {{"generateName", name_prefix(pod)}, {"namespace", ns}};
  const std::string id = responder::hash_key({"event", ctx.idempotency_key}).substr(0, 16);
  return {{"name", name_prefix(pod) + id}, {"namespace", ns}};
}

std::string now_rfc3339() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class EventCreate final : public ActionWithOptions<Options, parse_options> {
 public:
  std::string_view name() const override { return "event.create"; }

 protected:
  ActionResult run(ActionContext& ctx, const Options& opts) const override {
    ActionResult result;
    auto target = guarded_pod(ctx, "recording an event on", &result);
    if (!target) return result;
    const std::string pod_name = target->namespace_ + "/" + target->name;
    // The uid ties the event to this incarnation of the pod; a pod already gone still gets
    // its event (the record matters most then), tied by name only.
    Answer pod = read_pod(ctx, *target);
    if (!pod.ok() && !pod.is(kube::KubeError::kNotFound)) {
      fail(&result, "reading pod " + pod_name, *pod.error);
      return result;
    }
    std::string uid = pod.ok() ? meta(pod.body, "uid") : target->uid;
    std::string message = opts.message.empty()
                              ? "riposte playbook " + std::string(ctx.playbook) + ": " +
                                    ctx.alert.rule + ": " + ctx.alert.output
                              : opts.message;
    const std::string now = now_rfc3339();
    json involved = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"namespace", target->namespace_},
                     {"name", target->name}};
    if (!uid.empty()) involved["uid"] = uid;
    json event = {{"apiVersion", "v1"},
                  {"kind", "Event"},
                  {"metadata", event_metadata(ctx, target->name, target->namespace_)},
                  {"involvedObject", involved},
                  {"reason", opts.reason},
                  {"message", truncate_utf8(std::move(message), kMaxMessage)},
                  {"type", opts.type},
                  {"source", {{"component", "riposte-responder"}}},
                  {"firstTimestamp", now},
                  {"lastTimestamp", now},
                  {"count", 1}};
    auto sent = write(ctx, &result, "POST",
                      {.resource = "events", .namespace_ = target->namespace_},
                      event.dump(-1, ' ', false, json::error_handler_t::replace));
    if (!sent) return finish_dry_run(&result, "would record event " + opts.reason + " on pod " + pod_name);
    if (sent->is(kube::KubeError::kConflict) && !ctx.idempotency_key.empty()) {
      // This step's event exists: an earlier attempt recorded it.
      result.targets.push_back(
          "events/" + target->namespace_ + "/" +
          event_metadata(ctx, target->name, target->namespace_)["name"].get<std::string>());
      result.message = "event " + opts.reason + " on pod " + pod_name + " already recorded";
      return result;
    }
    if (!sent->ok()) {
      fail(&result, "recording event " + opts.reason + " on pod " + pod_name, *sent->error);
      return result;
    }
    result.targets.push_back("events/" + target->namespace_ + "/" + meta(sent->body, "name"));
    result.message = "recorded event " + opts.reason + " on pod " + pod_name;
    return result;
  }
};

}  // namespace

std::unique_ptr<Action> make_event_create() { return std::make_unique<EventCreate>(); }

}  // namespace riposte::actions
