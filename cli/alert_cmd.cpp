#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>

#include "cli/commands.h"
#include "common/alert.h"
#include "common/daemon_flags.h"
#include "common/flags.h"
#include "common/nats.h"

namespace riposte::cli {

int alert_publish(const Args& args) {
  std::vector<std::string> files;
  nats::Options o;
  o.url = "nats://127.0.0.1:4222";
  Flags f("riposte alert publish",
          "Validates a Falco JSON alert (as Falco or riposte-detector write it) and publishes "
          "it to the RIPOSTE_ALERTS JetStream stream on riposte.alerts.<priority>.<rule_slug>, "
          "where riposte-responder picks it up. Exits 1 when the alert is invalid or the "
          "server does not store it.",
          "riposte alert publish ALERT.json [--nats URL]");
  f.add_positional("ALERT.json", &files, "alert file; - for standard input");
  add_nats_flags(f, &o);
  if (int rc = parse_flags(f, args); rc >= 0) return rc;
  if (files.size() != 1) {
    std::fprintf(stderr, "riposte alert publish: give exactly one ALERT.json (see --help)\n");
    return 2;
  }
  std::string body;
  if (files[0] == "-") {
    body.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(files[0], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "riposte alert publish: cannot read %s\n", files[0].c_str());
      return 1;
    }
    body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto alert = parse_alert(body);
  if (!alert) {
    std::fprintf(stderr, "riposte alert publish: %s: invalid alert: %s\n", files[0].c_str(),
                 alert.error().c_str());
    return 1;
  }
  if (alert->uuid.empty()) alert->uuid = new_uuid();
  o.name = "riposte-cli";
  if (o.inbox_prefix.empty()) o.inbox_prefix = kDetectorInboxPrefix;  // a detector's rights
  o.max_reconnect = 0;
  auto conn = nats::Connection::connect(o);
  if (!conn) {
    std::fprintf(stderr, "riposte alert publish: NATS: %s\n", conn.error().c_str());
    return 1;
  }
  // No stream management: this publishes with a detector's rights (riposte.alerts.> only);
  // riposte-responder creates RIPOSTE_ALERTS.
  const std::string subject = alert_subject(*alert);
  auto ack = (*conn)->js_publish(subject, to_json(*alert), alert_dedup_key(*alert));
  if (!ack) {
    std::fprintf(stderr, "riposte alert publish: %s%s\n", ack.error().c_str(),
                 ack.error().find("esponders") != std::string::npos
                     ? " (no RIPOSTE_ALERTS stream yet: start riposte-responder first)"
                     : "");
    return 1;
  }
  std::printf("published %s to %s (stream %s, sequence %llu%s)\n", alert->uuid.c_str(),
              subject.c_str(), ack->stream.c_str(), static_cast<unsigned long long>(ack->sequence),
              ack->duplicate ? ", duplicate" : "");
  return 0;
}

}  // namespace riposte::cli
