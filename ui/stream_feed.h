// Keeps the AlertIndex current: ordered consumers over RIPOSTE_ALERTS and RIPOSTE_ACTIONS
// (read from their start, then live), and a change counter that Server-Sent Events wait on.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "common/nats.h"
#include "common/result.h"
#include "ui/alert_index.h"

namespace riposte::ui {

// A counter bumped on every indexed message; waiters wake at most every 200 ms, so a burst of
// alerts is one update for the browsers, not one per alert.
class Changes {
 public:
  void bump();
  // Waits until the counter differs from seen (or timeout_ms passes); returns the counter.
  uint64_t wait(uint64_t seen, int timeout_ms);
  uint64_t current();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t version_ = 0;
};

class StreamFeed {
 public:
  StreamFeed(nats::Connection* conn, AlertIndex* index, Changes* changes)
      : conn_(conn), index_(index), changes_(changes) {}
  Status start();
  void stop();

 private:
  nats::Connection* conn_;
  AlertIndex* index_;
  Changes* changes_;
  std::unique_ptr<nats::Subscription> alerts_, records_;
};

}  // namespace riposte::ui
