// Flags every riposte daemon and NATS-speaking command shares, declared once so their names,
// help texts and behaviour cannot drift between binaries.
#pragma once

#include <memory>
#include <string>

#include "common/flags.h"
#include "common/nats.h"
#include "common/ops_server.h"
#include "common/result.h"

namespace riposte {

// --nats, --nats-user, --nats-password, --nats-password-file, --nats-token, --nats-creds,
// --nats-ca, --nats-tls-hostname, --nats-nkey,
// --nats-cert, --nats-key into *options
// (which must outlive parsing).
void add_nats_flags(Flags& flags, nats::Options* options);

struct LogFlags {
  std::string level = "info";
  bool json = false;
};
// --log-level, --log-json.
void add_log_flags(Flags& flags, LogFlags* log_flags);
// Applies them to the process-wide logger; an error for an unknown level.
Status apply_log_flags(const LogFlags& log_flags);

// Starts /livez, /readyz and /metrics on "HOST:PORT" (port 0: any free port). An empty address
// means no server (nullptr).
// json_routes: more GET routes answering JSON ({path, body}).
Result<std::unique_ptr<OpsServer>> start_ops_server(
    const std::string& address, const Registry& registry,
    std::function<std::vector<ReadyCheck>()> ready,
    std::vector<std::pair<std::string, std::function<std::string()>>> json_routes = {});

}  // namespace riposte
