// The NATS server's clock, as the responder's replicas share it. A probe writes a key to a
// key-value bucket and reads back when the server stored it; between probes, time is carried
// forward on this process's monotonic clock (immune to the wall clock being stepped).
//
// Why: cooldown windows and rate-limit minutes are written by one replica and judged by
// another. Judged on each replica's own wall clock, a replica whose clock runs an hour slow
// writes windows that are already over for the others (a second pod.delete inside the
// cooldown), and one that runs fast suppresses for an hour. On the server's clock every
// replica decides the same, within one probe's round trip.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "common/nats.h"
#include "common/result.h"

namespace riposte::responder {

class ServerClock {
 public:
  // replica names this process's probe key. reprobe: how long an estimate is carried forward.
  ServerClock(nats::KeyValue* kv, const std::string& replica,
              std::chrono::milliseconds reprobe = std::chrono::seconds(30));

  // Probes now; at startup, so that a server that cannot be read is one clear error there.
  Status sync();

  // Probes when one is due (every `reprobe`, or a second after a failed one). Called from a
  // housekeeping thread (the responder's sweep), never from a worker: a probe is two NATS
  // round trips, and a worker deciding a cooldown must not wait on them. A failed probe keeps
  // the last estimate; its error is returned (and logged) for the caller to count.
  Status refresh();

  // ns since the epoch on the server's clock; never goes backwards; never does I/O. Carries
  // the last probe forward on this process's monotonic clock; before any probe succeeded,
  // this host's clock stands in.
  int64_t now_ns();

 private:
  using Steady = std::chrono::steady_clock;
  struct Reading {
    int64_t server_at;         // the server's time of the probe's write
    Steady::time_point acked;  // when that write was acknowledged here
  };
  Result<Reading> probe() const;
  void record(const Reading& r);

  nats::KeyValue* kv_;
  std::string key_;
  std::chrono::milliseconds reprobe_;
  std::mutex mu_;  // guards the fields below; never held across I/O
  bool synced_ = false;
  int64_t server_at_ = 0;      // the server's time of the last probe's write
  Steady::time_point at_{};    // when that write was acknowledged here
  Steady::time_point next_{};  // when to probe again
  int64_t last_ = 0;           // the largest time returned (monotonic)
};

}  // namespace riposte::responder
