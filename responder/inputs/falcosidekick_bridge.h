// Falcosidekick's NATS output: core NATS, at most once, on falco.<priority>.<rule_slug>. Every
// replica subscribes (no queue group) and republishes to RIPOSTE_ALERTS with the alert's
// content key as dedup id, so the stream stores each event once while any one replica is up
// to catch it. A payload that is not an alert goes to the dead-letter subject with the reason.
#pragma once

#include <memory>
#include <string>

#include "common/bus_contract.h"
#include "common/nats.h"
#include "responder/inputs/ingest.h"

namespace riposte::responder {

using ::riposte::kFalcosidekickSubjects;  // common/bus_contract.h

class FalcosidekickBridge {
 public:
  // source: the connection Falcosidekick publishes to (may be the responder's own);
  // ingest publishes through the responder's JetStream connection.
  FalcosidekickBridge(nats::Connection* source, nats::Connection* sink, AlertIngest* ingest)
      : source_(source), sink_(sink), ingest_(ingest) {}
  Status start(const std::string& subjects = kFalcosidekickSubjects);
  void stop() { sub_.reset(); }

 private:
  void on_message(const nats::Message& msg);

  nats::Connection* source_;
  nats::Connection* sink_;
  AlertIngest* ingest_;
  std::unique_ptr<nats::Subscription> sub_;
};

}  // namespace riposte::responder
