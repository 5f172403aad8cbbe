#include "responder/run_ledger.h"

#include <chrono>
#include <thread>

#include "common/log.h"

namespace riposte::responder {
namespace {

// Spliced rather than built as a json object: that would copy the whole audit record.
std::string done_json(std::string_view audit_json) {
  std::string v = R"({"state":"done","audit":)";
  v.append(audit_json);
  v.push_back('}');
  return v;
}

// The record kept in a "done" entry; absent (with a warning) when it cannot be read.
std::optional<RunRecord> stored_record(const std::string& key, const nlohmann::json& entry) {
  auto r = RunRecord::from_json(entry.value("audit", nlohmann::json::object()));
  if (r) return std::move(*r);
  log::warn("a finished run's record cannot be read", {{"run", key}, {"error", r.error()}});
  return std::nullopt;
}

}  // namespace

RunLedger::RunLedger(nats::KeyValue* kv, std::string owner, int64_t lease_ms)
    : kv_(kv), owner_(std::move(owner)), lease_ms_(lease_ms) {}

std::string RunLedger::running(bool released,
                               const std::vector<playbook::StepOutcome>& steps) const {
  nlohmann::json s = nlohmann::json::array();
  for (const auto& st : steps) s.push_back(playbook::to_json(st));
  nlohmann::json rec = {{"state", "running"}, {"owner", owner_}, {"steps", s}};
  if (released) rec["released"] = true;
  return rec.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<bool> RunLedger::unchanged_for_a_lease(const std::string& key, uint64_t revision) {
  using Clock = std::chrono::steady_clock;
  const auto until = Clock::now() + std::chrono::milliseconds(lease_ms_);
  const auto poll = std::chrono::milliseconds(std::max<int64_t>(lease_ms_ / 10, 1));
  while (Clock::now() < until) {
    std::this_thread::sleep_for(std::min<Clock::duration>(poll, until - Clock::now()));
    auto got = kv_->get(key);
    if (!got) return got.err();
    if (!got->has_value() || (*got)->revision != revision) return false;
  }
  return true;
}

Result<RunLedger::Claim> RunLedger::claim(const std::string& key) {
  // Two rounds: the key may be deleted (TTL) between a failed create and the get, and a
  // watched record may change (finished, released) while it is watched.
  for (int round = 0; round < 2; ++round) {
    auto created = kv_->create(key, running(false, {}));
    if (created) return Claim{State::kAcquired, *created, {}, false, std::nullopt, 0};
    if (created.code() != ErrorCode::kKeyExists) return created.err();

    auto got = kv_->get(key);
    if (!got) return got.err();
    if (!got->has_value()) continue;
    const nats::KvEntry& entry = **got;
    nlohmann::json rec = nlohmann::json::parse(entry.value, nullptr, false);
    if (rec.is_discarded() || !rec.is_object()) return Error{"run record " + key + " is corrupt"};
    if (rec.value("state", "") == "done") {
      Claim c;
      c.state = State::kDone;
      c.record = stored_record(key, rec);
      return c;
    }
    if (!rec.value("released", false)) {
      // Owned: by a live replica if it renews the lease while we watch.
      auto dead = unchanged_for_a_lease(key, entry.revision);
      if (!dead) return dead.err();
      if (!*dead) {
        // Renewed, finished or released meanwhile: look again (a finished run is "done" now).
        if (round == 0) continue;
        Claim c;
        c.state = State::kBusy;
        c.retry_after_ms = lease_ms_;
        return c;
      }
    }
    // The owner died or gave the run back: take it over, keeping what it finished.
    std::vector<playbook::StepOutcome> resume;
    if (auto s = rec.find("steps"); s != rec.end() && s->is_array()) {
      for (const auto& j : *s) resume.push_back(playbook::step_from_json(j));
    }
    auto updated = kv_->update(key, running(false, resume), entry.revision);
    if (!updated) {
      if (updated.code() == ErrorCode::kWrongRevision) {
        Claim c;  // another replica took it over first, or the owner came back
        c.state = State::kBusy;
        c.retry_after_ms = lease_ms_;
        return c;
      }
      return updated.err();
    }
    // Rare, and what a double effect would start from: say whose run it was and why.
    log::info("run taken over", {{"run", key},
                                 {"from", rec.value("owner", "")},
                                 {"released", rec.value("released", false)},
                                 {"revision", entry.revision},
                                 {"steps_done", resume.size()}});
    return Claim{State::kAcquired, *updated, std::move(resume), true, std::nullopt, 0};
  }
  return Error{"run record " + key + " keeps vanishing"};
}

Status RunLedger::progress(const std::string& key, uint64_t* revision,
                           const std::vector<playbook::StepOutcome>& steps) {
  auto r = kv_->update(key, running(false, steps), *revision);
  if (!r) return r.err();
  *revision = *r;
  return {};
}

Status RunLedger::complete(const std::string& key, uint64_t revision, const RunRecord& record) {
  auto r = kv_->update(key, done_json(record.dump()), revision);
  if (!r) return r.err();
  return {};
}

Result<bool> RunLedger::complete_new(const std::string& key, const RunRecord& record,
                                     std::optional<RunRecord>* existing) {
  auto r = kv_->create(key, done_json(record.dump()));
  if (r) return true;
  if (r.code() != ErrorCode::kKeyExists) return r.err();
  auto got = kv_->get(key);
  if (!got) return got.err();
  if (got->has_value()) {
    nlohmann::json rec = nlohmann::json::parse((*got)->value, nullptr, false);
    if (rec.is_object()) *existing = stored_record(key, rec);
  }
  return false;
}

size_t RunLedger::complete_new_async(nats::PublishBatch& batch, const std::string& key,
                                     std::string_view record_json) {
  return kv_->create_async(batch, key, done_json(record_json));
}

Status RunLedger::release(const std::string& key, uint64_t revision,
                          const std::vector<playbook::StepOutcome>& steps) {
  auto r = kv_->update(key, running(true, steps), revision);
  if (!r) return r.err();
  return {};
}

}  // namespace riposte::responder
