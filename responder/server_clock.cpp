#include "responder/server_clock.h"

#include <algorithm>

#include "common/log.h"
#include "responder/dedup.h"

namespace riposte::responder {
namespace {

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
  std::lock_guard<std::mutex> lock(mu_);
  return probe_locked();
}

Status ServerClock::probe_locked() {
  auto put = kv_->put(key_, "");
  // The write is stored before its acknowledgment arrives: the server's time at the ack is at
  // least the stored time, so the estimate runs behind by at most one round trip, never ahead.
  const Steady::time_point acked = Steady::now();
  if (!put) return Error{"server clock: " + put.error()};
  auto got = kv_->get(key_);
  if (!got) return Error{"server clock: " + got.error()};
  if (!got->has_value() || (*got)->revision < *put) {
    return Error{"server clock: the probe key " + kv_->bucket() + "/" + key_ +
                 " was not read back"};
  }
  // A newer revision (another process with the same replica name) was stored later still.
  server_at_ = (*got)->created_ns;
  at_ = acked;
  next_ = acked + reprobe_;
  synced_ = true;
  return Status{};
}

int64_t ServerClock::now_ns() {
  std::lock_guard<std::mutex> lock(mu_);
  const Steady::time_point now = Steady::now();
  if (!synced_ || now >= next_) {
    if (Status st = probe_locked(); !st.ok()) {
      next_ = now + std::chrono::seconds(1);
      log::warn(synced_ ? "server clock probe failed; carrying the last reading forward"
                        : "server clock unknown; using this host's clock",
                {{"error", st.error()}});
    }
  }
  const int64_t estimate =
      synced_
          ? server_at_ +
                std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now() - at_).count()
          : host_now_ns();
  last_ = std::max(last_, estimate);
  return last_;
}

}  // namespace riposte::responder
