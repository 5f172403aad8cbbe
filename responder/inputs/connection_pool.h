// The HTTP input's threads: a fixed set of workers with a bounded queue of connections waiting
// for them. httplib hands every accepted connection to enqueue(); when the queue is full the
// connection goes to the overflow thread instead, which serves it with overloaded() true, so
// the handler answers 503 + Retry-After at once rather than leaving the sender to time out.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace riposte::responder {

class ConnectionPool : public httplib::TaskQueue {
 public:
  ConnectionPool(int workers, int queue);
  ~ConnectionPool() override;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

  // True on the overflow thread: the connection being served should be refused.
  static bool overloaded();
  // True while connections wait for a worker: a kept-open connection should then be closed
  // after its current answer, so that its worker serves the next one (its sender reconnects
  // and queues like everyone else) instead of a waiting sender timing out.
  bool others_waiting();

 private:
  struct Lane {
    std::deque<std::function<void()>> jobs;
    std::condition_variable cv;
  };
  void run(Lane* lane, bool overflow);

  const size_t queue_;
  std::mutex mu_;
  bool stopping_ = false;
  size_t idle_;  // workers not serving a connection (counted from the start, not from when
                 // their thread first waits: a connection arriving at once must not overflow)
  Lane work_, overflow_;
  std::vector<std::thread> threads_;
};

}  // namespace riposte::responder
