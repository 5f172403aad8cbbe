#include "common/daemon_flags.h"

#include <charconv>

#include "common/log.h"

namespace riposte {

void add_nats_flags(Flags& flags, nats::Options* o) {
  flags.add_string("nats", &o->url, "URL",
                   "NATS server URL(s) (nats:// or tls://), comma-separated for a cluster");
  flags.add_string("nats-user", &o->user, "USER",
                   "NATS user (with --nats-password-file or --nats-password)");
  flags.add_string("nats-password", &o->password, "PASS",
                   "NATS password (visible in ps: prefer --nats-password-file)");
  flags.add_string("nats-password-file", &o->password_file, "FILE",
                   "file holding the NATS password (e.g. a mounted Secret)");
  flags.add_string("nats-token", &o->token, "TOKEN", "NATS token");
  flags.add_string("nats-creds", &o->creds_file, "FILE", "NATS credentials file (JWT + nkey seed)");
  flags.add_string("nats-ca", &o->ca_file, "FILE",
                   "CA bundle to verify the NATS server's TLS certificate (turns TLS on)");
  flags.add_string("nats-tls-hostname", &o->tls_hostname, "NAME",
                   "name the NATS server's certificate must carry (default: the --nats host, "
                   "when it is a DNS name)");
  flags.add_string("nats-nkey", &o->nkey_seed_file, "FILE",
                   "file holding the NATS user's nkey seed (SU...)");
  flags.add_string("nats-cert", &o->cert_file, "FILE", "client certificate for NATS mutual TLS");
  flags.add_string("nats-key", &o->key_file, "FILE", "key of --nats-cert");
}

void add_log_flags(Flags& flags, LogFlags* l) {
  flags.add_string("log-level", &l->level, "LEVEL", "debug, info, warn or error");
  flags.add_bool("log-json", &l->json, "write logs as JSON lines");
}

Status apply_log_flags(const LogFlags& l) {
  log::Level level;
  if (!log::parse_level(l.level, &level)) {
    return Error{"--log-level must be debug, info, warn or error, not \"" + l.level + "\""};
  }
  log::set_level(level);
  log::set_json(l.json);
  return {};
}

Result<std::unique_ptr<OpsServer>> start_ops_server(
    const std::string& address, const Registry& registry,
    std::function<std::vector<ReadyCheck>()> ready,
    std::vector<std::pair<std::string, std::function<std::string()>>> json_routes) {
  if (address.empty()) return std::unique_ptr<OpsServer>();
  const auto colon = address.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    const char* first = address.data() + colon + 1;
    const char* last = address.data() + address.size();
    auto [end, ec] = std::from_chars(first, last, port);
    if (ec != std::errc() || end != last) port = -1;
  }
  if (port < 0 || port > 65535) return Error{"ops address must be HOST:PORT, not \"" + address + "\""};
  auto server = std::make_unique<OpsServer>(address.substr(0, colon), port, registry, std::move(ready));
  for (auto& [path, body] : json_routes) server->serve_json(std::move(path), std::move(body));
  if (Status st = server->start(); !st.ok()) return Error{"ops server on " + address + ": " + st.error()};
  return server;
}

}  // namespace riposte
