// Feeds alerts from the RIPOSTE_ALERTS stream to the playbooks, through one durable pull
// consumer shared by every replica (each worker thread binds its own PullConsumer to it).
//
// Per alert and matching playbook: the run is claimed in the run ledger (so a redelivered or
// duplicated alert never runs a playbook twice, on any replica), the cooldown is entered, the
// steps run (rate-limited, progress recorded), the run is marked done with its audit record,
// and the record is published to RIPOSTE_ACTIONS. Only then is the message acknowledged. A
// retryable failure naks the message with back-off; at the last delivery the alert goes to
// the dead-letter subject with the reason, as does anything that is not a valid alert.
//
// A fetched batch is handled in stages so that its records cost a few round trips in all
// rather than a few per alert: the steps of each alert run in order (runs with effects claim
// and complete their run record synchronously, as before), while the record writes that end
// runs (dry-run run records, audit records) are sent asynchronously and waited for together;
// only then is each alert settled, acks going out without waiting (a lost ack is a
// redelivery, which the run ledger answers with "done").
//
// While a batch is in hand its messages get in-progress acks, and the run being executed has
// its lease renewed (heartbeat.h): the ack wait and the lease can then be short, so that a
// dead replica's alerts are taken over within seconds, while a live one keeps its own however
// long its steps take.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/nats.h"
#include "responder/audit.h"
#include "responder/heartbeat.h"
#include "responder/responder_metrics.h"
#include "responder/run_ledger.h"
#include "responder/throttle.h"

namespace riposte::responder {

inline constexpr const char* kDefaultDurable = "riposte-responder";

struct ConsumerOptions {
  bool dry_run = false;  // every playbook in dry-run
  int batch = 64;
  int fetch_timeout_ms = 500;
  int max_deliver = 5;
  // Nak delay by delivery number (the last one repeats).
  std::vector<int64_t> backoff_ms = {1000, 5000, 15000, 30000};
  std::string replica = "responder";  // names this process in audit records
  int publish_timeout_ms = 5000;       // for the batched record writes of one batch
};

// What a consumer needs besides its PullConsumer, shared by every worker of the process.
struct ConsumerDeps {
  nats::Connection* conn = nullptr;
  std::function<std::shared_ptr<const playbook::Engine>()> engine;  // the set in force
  RunLedger* ledger = nullptr;
  Cooldowns* cooldowns = nullptr;
  RateLimiter* rates = nullptr;  // may be null: no limits
  AuditLog* audit = nullptr;
  ResponderMetrics* metrics = nullptr;
};

class AlertConsumer {
 public:
  AlertConsumer(nats::PullConsumer* consumer, ConsumerDeps deps, ConsumerOptions options);

  // Fetches one batch and handles it; returns the number of messages handled.
  Result<int> poll_once();
  // Runs until *stop becomes true.
  void run(const std::atomic<bool>* stop);
  // Handles fetched messages: settles each with exactly one of ack, nak or term.
  Status handle(std::span<nats::Message> msgs);
  Status handle(nats::Message& msg) { return handle(std::span<nats::Message>(&msg, 1)); }

 private:
  enum class Verdict { kDone, kRetry };
  struct PlaybookResult {
    Verdict verdict = Verdict::kDone;
    std::string reason;     // kRetry: why
    int64_t delay_ms = 0;   // kRetry: at least this long
  };
  // A record write of a run, sent through publisher_ and not yet confirmed.
  struct Pending {
    const playbook::Playbook* pb = nullptr;
    std::string key;
    RunRecord record;
    std::string record_json;  // record serialized, for the ledger and the audit stream
    bool creating = false;  // the run record's create (then the audit publish), else the publish
    size_t index = 0;       // in publisher_'s current round
  };
  // One alert of a batch, between the stages.
  struct InFlight {
    nats::Message* msg = nullptr;
    AlertOrigin origin;
    bool last = false;     // its last delivery
    bool settled = false;  // already acked, naked or dead-lettered
    PlaybookResult result;
    std::vector<Pending> pending;
  };

  void start(InFlight& a);
  // Reads one round of publisher_'s results into the alerts' verdicts.
  void resolve(std::vector<InFlight>& alerts, const std::vector<Result<nats::PubAck>>& results);
  void settle(InFlight& a);
  static void merge(InFlight& a, const playbook::Playbook& pb, PlaybookResult r);

  PlaybookResult run_playbook(const playbook::Engine& engine, const playbook::Playbook& pb,
                              const Alert& alert, InFlight& a);
  void run_without_effects(const playbook::Engine& engine, const playbook::Playbook& pb,
                           const Alert& alert, InFlight& a, const std::string& key);
  // Sends the audit record of a finished run (when publish), to be confirmed with the batch.
  PlaybookResult finish(InFlight& a, const std::string& key, const playbook::Playbook& pb,
                        const RunRecord& record, bool publish);
  // The run was suppressed by the cooldown; false on a bus failure.
  std::optional<PlaybookResult> enter_cooldown(const playbook::Playbook& pb, const Alert& alert,
                                               InFlight& a, const std::string& key,
                                               uint64_t revision);
  void observe(const playbook::PlaybookOutcome& outcome, int64_t alert_time_ns,
               const std::vector<playbook::StepOutcome>* resumed);
  void dead_letter(nats::Message& msg, const std::string& reason);
  int64_t backoff(uint64_t delivered) const;

  nats::PullConsumer* consumer_;
  ConsumerDeps deps_;
  ConsumerOptions options_;
  std::unique_ptr<nats::PublishBatch> publisher_;  // this worker's own: waits never overlap
  std::unique_ptr<Heartbeat> heartbeat_;           // keeps the batch and the run in hand alive
};

}  // namespace riposte::responder
