// notify.webhook: POSTs a JSON message about the alert to a chat webhook (Slack, Microsoft
// Teams). Best effort by design: a webhook that fails, hangs or answers an error makes the
// step "failed" (not retryable: redelivering the alert would replay the playbook's Kubernetes
// actions for a chat message), bounded by timeout_seconds, and never throws.
// The URL comes from the playbook only (never an alert, never a template): https, or plain
// http to a loopback address (tests, a local relay). Its path is a secret for Slack and
// Teams, so messages and recorded requests show only scheme and host.
//   params: url (required), format (slack | teams | messagecard, default slack),
//           text (optional; default: the alert's output), timeout_seconds (1..30, default 5)
//   example: {action: notify.webhook, params: {url: "https://hooks.slack.com/services/..."}}
#include <arpa/inet.h>
#include <httplib.h>

#include <exception>

#include "responder/actions/params.h"
#include "responder/actions/registry.h"
#include "responder/actions/webhook_format.h"

namespace riposte::actions {
namespace {

struct Url {
  std::string origin;  // "https://hooks.slack.com" or "http://127.0.0.1:8080"
  std::string target;  // "/services/T000/B000/XXXX", query included
  std::string redacted() const { return origin + "/…"; }
};

bool is_loopback(std::string host) {
  if (host == "localhost") return true;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned char a[16];
  if (inet_pton(AF_INET, host.c_str(), a) == 1) return a[0] == 127;
  return host == "::1";
}

Result<Url> parse_url(const std::string& url) {
  for (unsigned char c : url) {
    // Braces: a template the engine could fill from an alert; the rest: not a URL.
    if (c <= ' ' || c >= 0x7f || c == '{' || c == '}' || c == '\\') {
      return Error{"must be a plain URL (no spaces, braces or non-ASCII characters)"};
    }
  }
  const bool https = url.rfind("https://", 0) == 0;
  if (!https && url.rfind("http://", 0) != 0) return Error{"must be an https:// URL"};
  const size_t start = https ? 8 : 7;
  const size_t end = url.find_first_of("/?#", start);
  const std::string authority = url.substr(start, end - start);
  if (authority.empty() || authority.find('@') != std::string::npos) {
    return Error{"must name a host (and no user or password)"};
  }
  if (url.find('#') != std::string::npos) return Error{"must not have a fragment"};
  std::string host = authority;
  if (size_t colon = authority.rfind(':');
      colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    host = authority.substr(0, colon);
    const std::string port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) == 0 || std::stoi(port) > 65535) {
      return Error{"has an invalid port"};
    }
  }
  if (!https && !is_loopback(host)) {
    return Error{"must be https (plain http only to a loopback address)"};
  }
  Url u;
  u.origin = url.substr(0, end == std::string::npos ? url.size() : end);
  u.target = end == std::string::npos ? "/" : url.substr(end);
  if (u.target.front() == '?') u.target = "/" + u.target;
  return u;
}

struct Options {
  std::string url;
  WebhookFormat format = WebhookFormat::kSlack;
  std::string text;
  int64_t timeout_seconds = 5;
};

Options parse_options(const YAML::Node& params, std::vector<ParamError>* errors) {
  ParamReader r(params, errors);
  Options o;
  if (auto url = r.string("url")) {
    o.url = *url;
    if (auto u = parse_url(o.url); !u) r.error(r.mark_of("url"), "\"url\" " + u.error());
  } else if (!r.has("url")) {
    r.missing("url");
  }
  const std::string format = r.one_of("format", {"slack", "teams", "messagecard"}).value_or("slack");
  o.format = format == "teams"         ? WebhookFormat::kTeams
             : format == "messagecard" ? WebhookFormat::kMessageCard
                                       : WebhookFormat::kSlack;
  o.text = r.string("text").value_or("");
  o.timeout_seconds = r.integer("timeout_seconds", 1, 30).value_or(5);
  r.reject_unknown();
  return o;
}

// One POST, no retries, every phase bounded by the timeout. "" on a 2xx answer, else why not.
std::string post(const Url& url, const std::string& body, std::chrono::seconds timeout) {
  httplib::Client cli(url.origin);
  if (!cli.is_valid()) return "cannot set up a client for " + url.redacted();
  cli.enable_server_certificate_verification(true);  // system roots, as any https client
  cli.set_connection_timeout(timeout);
  cli.set_read_timeout(timeout);
  cli.set_write_timeout(timeout);
  cli.set_follow_location(false);
  cli.set_keep_alive(false);
  auto res = cli.Post(url.target, {{"User-Agent", "riposte-responder"}}, body, "application/json");
  if (!res) return httplib::to_string(res.error());
  if (res->status < 200 || res->status > 299) {
    return "answered " + std::to_string(res->status) + " " + res->body.substr(0, 120);
  }
  return "";
}

class NotifyWebhook final : public ActionWithOptions<Options, parse_options> {
 public:
  std::string_view name() const override { return "notify.webhook"; }

 protected:
  ActionResult run(ActionContext& ctx, const Options& opts) const override {
    try {
      return notify(ctx, opts);
    } catch (const std::exception& e) {  // a notification must never take a playbook down
      return ActionResult::failed(std::string("webhook: ") + e.what());
    }
  }

 private:
  static ActionResult notify(ActionContext& ctx, const Options& opts) {
    auto url = parse_url(opts.url);
    if (!url) return ActionResult::failed("webhook url " + url.error());
    const std::string body =
        webhook_body(opts.format, ctx.alert, webhook_message(ctx.alert, ctx.playbook, opts.text));
    ActionResult result;
    result.targets.push_back(url->redacted());
    result.requests.push_back({"POST", url->redacted(), body});
    if (ctx.dry_run) {
      log_dry_run(ctx, result.requests.back());
      return finish(&result, ActionResult::kDryRun, "would notify " + url->redacted());
    }
    std::string error = post(*url, body, std::chrono::seconds(opts.timeout_seconds));
    if (!error.empty()) {
      return finish(&result, ActionResult::kFailed,
                    "webhook " + url->redacted() + ": " + error);
    }
    return finish(&result, ActionResult::kSucceeded, "notified " + url->redacted());
  }

  static ActionResult finish(ActionResult* r, ActionResult::Status status, std::string message) {
    r->status = status;
    r->message = std::move(message);
    return std::move(*r);
  }
};

}  // namespace

std::unique_ptr<Action> make_notify_webhook() { return std::make_unique<NotifyWebhook>(); }

}  // namespace riposte::actions
