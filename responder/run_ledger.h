// Per-playbook idempotency keys in a JetStream key-value bucket shared by every replica: the
// record of one playbook run for one alert (key: run_key()). A run is claimed before it acts
// (create: only one replica wins), its progress is recorded after each step, and it ends as
// "done" holding its audit record. A redelivered or duplicated alert finds "done" and does
// not run again; a claim whose owner died is taken over and resumes after the steps the owner
// recorded as finished.
//
// The lease needs no clock shared by replicas: its owner renews it (a new revision of the
// record) every lease/3 while the run lasts, steps included (see heartbeat.h). A replica that
// finds a running record watches it for one lease, measured on its own steady clock: a new
// revision means a live owner (busy); none means a dead one, and the takeover is a
// compare-and-set on the revision it watched, so at most one replica wins it and an owner
// that comes back finds its next renewal refused.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/bus_contract.h"
#include "common/nats.h"
#include "common/result.h"
#include "responder/playbook/engine.h"
#include "responder/run_record.h"

namespace riposte::responder {

using ::riposte::kRunsBucket;  // common/bus_contract.h

class RunLedger {
 public:
  enum class State { kAcquired, kDone, kBusy };
  struct Claim {
    State state = State::kBusy;
    uint64_t revision = 0;                         // kAcquired: for progress/complete/release
    std::vector<playbook::StepOutcome> resume;     // kAcquired after a takeover
    bool takeover = false;                         // kAcquired from a dead or released owner
    // kDone: the run's record; absent when what is stored cannot be read (then the run
    // counts as done all the same: a record is only ever written once its effects happened).
    std::optional<RunRecord> record;
    int64_t retry_after_ms = 0;                    // kBusy: try again after this long
  };

  // kv is shared by every worker of the process; owner names this replica in records.
  // lease_ms: how long a run record may go without a renewal before its owner is taken for
  // dead; owners renew it every lease_ms / 3.
  RunLedger(nats::KeyValue* kv, std::string owner, int64_t lease_ms);

  // May block for up to one lease, watching a running record (see above).
  Result<Claim> claim(const std::string& key);
  // Records the steps so far, which renews the lease; *revision is updated. Fails with
  // ErrorCode::kWrongRevision when another replica took the run over.
  Status progress(const std::string& key, uint64_t* revision,
                  const std::vector<playbook::StepOutcome>& steps);
  // The run ended; later claims get kDone with this audit record.
  Status complete(const std::string& key, uint64_t revision, const RunRecord& record);
  // Single-phase end for runs with no effect (dry-run): stores "done" unless a record exists.
  // true when stored; false with the stored record in *existing when another attempt was
  // first (absent if unreadable).
  Result<bool> complete_new(const std::string& key, const RunRecord& record,
                            std::optional<RunRecord>* existing);
  // complete_new() without waiting: the create is sent through batch, and its result there
  // (at the returned index) fails with ErrorCode::kKeyExists when a record exists; complete_new()
  // then says which (it also handles a deleted record, which the batched create refuses).
  // record_json: the record already serialized (RunRecord::dump), so that it is serialized
  // once for both the ledger and the audit stream.
  size_t complete_new_async(nats::PublishBatch& batch, const std::string& key,
                            std::string_view record_json);
  // A retryable failure: the next delivery takes the run over at once, resuming after the
  // steps that finished.
  Status release(const std::string& key, uint64_t revision,
                 const std::vector<playbook::StepOutcome>& steps);

  int64_t lease_ms() const { return lease_ms_; }
  int64_t renew_interval_ms() const { return std::max<int64_t>(lease_ms_ / 3, 1); }

 private:
  std::string running(bool released, const std::vector<playbook::StepOutcome>& steps) const;
  // Polls a running record for one lease: true when its revision stays `revision`.
  Result<bool> unchanged_for_a_lease(const std::string& key, uint64_t revision);

  nats::KeyValue* kv_;
  std::string owner_;
  int64_t lease_ms_;
};

}  // namespace riposte::responder
