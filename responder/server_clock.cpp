#include "responder/server_clock.h"

#include <algorithm>
#include <thread>

#include "common/log.h"
#include "responder/dedup.h"

namespace riposte::responder {
namespace {

constexpr int kReadBackAttempts = 50;  // 20 ms apart: a second for the followers to catch up

int64_t host_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ServerClock::ServerClock(nats::KeyValue* kv, const std::string& replica,
                         std::chrono::milliseconds reprobe)
    : kv_(kv), key_(hash_key({"clock", replica})), reprobe_(reprobe) {}

Status ServerClock::sync() {
  auto r = probe();
  if (!r) return r.err();
  record(*r);
  return Status{};
}

Result<ServerClock::Reading> ServerClock::probe() const {
  auto put = kv_->put(key_, "");
  // The write is stored before its acknowledgment arrives: the server's time at the ack is at
  // least the stored time, so the estimate runs behind by at most one round trip, never ahead.
  const Steady::time_point acked = Steady::now();
  if (!put) return Error{"server clock: " + put.error()};
  // A KV get is a direct get that any replica of an R3 bucket may answer, and a follower may
  // not have applied the write its leader just acknowledged: a stale answer is asked again, a
  // bounded number of times (a responder once failed to start on one in CI).
  Result<std::optional<nats::KvEntry>> got = std::optional<nats::KvEntry>();
  for (int attempt = 0; attempt < kReadBackAttempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    got = kv_->get(key_);
    if (!got) return Error{"server clock: " + got.error()};
    if (got->has_value() && (*got)->revision >= *put) break;
  }
  if (!got->has_value() || (*got)->revision < *put) {
    return Error{"server clock: the probe key " + kv_->bucket() + "/" + key_ +
                 " was not read back"};
  }
  // A newer revision (another process with the same replica name) was stored later still.
  return Reading{(*got)->created_ns, acked};
}

void ServerClock::record(const Reading& r) {
  std::lock_guard<std::mutex> lock(mu_);
  server_at_ = r.server_at;
  at_ = r.acked;
  next_ = r.acked + reprobe_;
  synced_ = true;
}

Status ServerClock::refresh() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (synced_ && Steady::now() < next_) return Status{};
  }
  auto r = probe();
  if (r) {
    record(*r);
    return Status{};
  }
  bool synced;
  {
    std::lock_guard<std::mutex> lock(mu_);
    next_ = Steady::now() + std::chrono::seconds(1);
    synced = synced_;
  }
  log::warn(synced ? "server clock probe failed; carrying the last reading forward"
                   : "server clock unknown; using this host's clock",
            {{"error", r.error()}});
  return r.err();
}

int64_t ServerClock::now_ns() {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t estimate =
      synced_
          ? server_at_ +
                std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now() - at_).count()
          : host_now_ns();
  last_ = std::max(last_, estimate);
  return last_;
}

}  // namespace riposte::responder
