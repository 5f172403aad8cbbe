// pod.logs: the recent logs of the alert's pod, read through the API server
// (GET pods/<name>/log, as kubectl logs and Talon's kubernetes:log do) and attached to the
// run's audit record (the step's `reply`), so the evidence of what the process printed is
// kept even when the pod is deleted by the next step. Bounded in lines and bytes: a record
// travels as one NATS message (forensics.capture is cut to 128 KiB likewise).
//   params: tail_lines (1..10000, default 20, Talon's default), limit_bytes (1..131072,
//           default 65536: all containers together), container (a name; default: the alert's
//           container.name when the pod has it, else every container of the pod, at most 8)
//   example: {action: pod.logs, params: {tail_lines: 200}}
// Dry-run: the pod is read (to know its containers), the log requests are recorded, no log
// is fetched (logs may hold secrets: only a real run keeps them).
#include <algorithm>

#include "responder/actions/params.h"
#include "responder/actions/registry.h"
#include "responder/actions/subject.h"

namespace riposte::actions {
namespace {

constexpr int64_t kMaxBytes = 128 * 1024;
constexpr size_t kMaxContainers = 8;

struct Options {
  int64_t tail_lines = 20;
  int64_t limit_bytes = 64 * 1024;
  std::string container;
};

Options parse_options(const YAML::Node& params, std::vector<ParamError>* errors) {
  ParamReader r(params, errors);
  Options o;
  o.tail_lines = r.integer("tail_lines", 1, 10000).value_or(20);
  o.limit_bytes = r.integer("limit_bytes", 1, kMaxBytes).value_or(64 * 1024);
  o.container = r.string("container").value_or("");
  if (!o.container.empty()) {
    if (auto ok = validate_name(o.container, NameKind::kLabel); !ok) {
      r.error(r.mark_of("container"), "container \"" + o.container + "\": " + ok.error());
    }
  }
  r.reject_unknown();
  return o;
}

// The containers to read: the playbook's, else the alert's when the pod has it, else all.
std::vector<std::string> containers_of(const json& pod, const Options& o, const Alert& alert) {
  std::vector<std::string> all;
  const json spec = pod.value("spec", json::object());
  for (const auto& c : spec.value("containers", json::array())) {
    if (c.is_object()) all.push_back(string_at(c, "name"));
  }
  auto has = [&](const std::string& n) {
    return std::find(all.begin(), all.end(), n) != all.end();
  };
  if (!o.container.empty())
    return has(o.container) ? std::vector{o.container} : std::vector<std::string>{};
  std::string from_alert;
  if (alert.field_string("container.name", &from_alert) && has(from_alert)) return {from_alert};
  if (all.size() > kMaxContainers) all.resize(kMaxContainers);
  return all;
}

// Whole lines only, when a byte limit cut the last one.
size_t count_lines(const std::string& s) { return std::count(s.begin(), s.end(), '\n'); }

class PodLogs final : public ActionWithOptions<Options, parse_options> {
 public:
  std::string_view name() const override { return "pod.logs"; }

 protected:
  ActionResult run(ActionContext& ctx, const Options& opts) const override {
    ActionResult result;
    auto target = guarded_pod(ctx, "not reading the logs of", &result);
    if (!target) return result;
    const std::string pod_name = target->namespace_ + "/" + target->name;
    auto pod = existing_pod(ctx, *target, ActionResult::kSkipped, &result);
    if (!pod) return result;
    result.targets.push_back(target->str());
    const auto containers = containers_of(*pod, opts, ctx.alert);
    if (containers.empty()) {
      fail(&result, "pod " + pod_name + " has no container " + opts.container);
      return result;
    }
    auto path = kube::resource_path(pod_ref(*target, "log"));
    if (!path) {
      fail(&result, path.error());
      return result;
    }
    json logs = json::array();
    int64_t budget = opts.limit_bytes;
    for (const auto& c : containers) {
      if (budget <= 0) {
        logs.push_back({{"container", c}, {"truncated", true}, {"log", ""}});
        continue;
      }
      kube::KubeRequest req{.method = "GET", .path = *path};
      req.query = {{"container", c},
                   {"tailLines", std::to_string(opts.tail_lines)},
                   {"limitBytes", std::to_string(budget)}};
      if (ctx.dry_run) {
        result.requests.push_back({"GET", kube::request_target(req), ""});
        log_dry_run(ctx, result.requests.back());
        continue;
      }
      auto res = ctx.kube.request(req);
      Answer a = to_answer(res);
      // A container that has not started yet has no log (400): kept as such, not a failure.
      if (!a.ok() && !a.is(kube::KubeError::kInvalid)) {
        fail(&result, "reading the logs of pod " + pod_name + " container " + c, *a.error);
        return result;
      }
      const std::string text = a.ok() ? res->body : "";
      budget -= static_cast<int64_t>(text.size());
      json entry = {{"container", c},
                    {"lines", count_lines(text)},
                    {"bytes", text.size()},
                    {"truncated", budget <= 0},
                    {"log", text}};
      if (!a.ok()) entry["error"] = a.error->describe();
      logs.push_back(std::move(entry));
    }
    if (ctx.dry_run) {
      return finish_dry_run(&result, "would read the last " + std::to_string(opts.tail_lines) +
                                         " lines of pod " + pod_name);
    }
    size_t lines = 0;
    for (const auto& l : logs) lines += l.value("lines", size_t{0});
    result.reply = {{"pod", pod_name}, {"tail_lines", opts.tail_lines}, {"containers", logs}};
    result.message = "read " + std::to_string(lines) + " log line(s) of pod " + pod_name;
    return result;
  }
};

}  // namespace

std::unique_ptr<Action> make_pod_logs() { return std::make_unique<PodLogs>(); }

}  // namespace riposte::actions
