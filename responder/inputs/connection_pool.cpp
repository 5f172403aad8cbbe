#include "responder/inputs/connection_pool.h"

namespace riposte::responder {
namespace {
thread_local bool tl_overloaded = false;
constexpr int kOverflowThreads = 8;
}  // namespace

ConnectionPool::ConnectionPool(int workers, int queue)
    : queue_(static_cast<size_t>(queue)), idle_(static_cast<size_t>(workers)) {
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { run(&work_, false); });
  // Several overflow threads: one slow sender must not hold up the refusals of the others.
  for (int i = 0; i < kOverflowThreads; ++i)
    threads_.emplace_back([this] { run(&overflow_, true); });
}

ConnectionPool::~ConnectionPool() { shutdown(); }

bool ConnectionPool::overloaded() { return tl_overloaded; }

void ConnectionPool::enqueue(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // The overflow lane is not bounded: each of its connections is answered at once and
    // closed, and every accepted socket must be served to be closed.
    // Room: an idle worker takes it at once, else a place in the queue.
    Lane& lane = work_.jobs.size() < queue_ + idle_ ? work_ : overflow_;
    lane.jobs.push_back(std::move(fn));
    lane.cv.notify_one();
  }
}

bool ConnectionPool::others_waiting() {
  std::lock_guard<std::mutex> lock(mu_);
  return !work_.jobs.empty();
}

void ConnectionPool::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    work_.cv.notify_all();
    overflow_.cv.notify_all();
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void ConnectionPool::run(Lane* lane, bool overflow) {
  tl_overloaded = overflow;
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> lock(mu_);
      lane->cv.wait(lock, [&] { return stopping_ || !lane->jobs.empty(); });
      // Queued connections are still served at shutdown: each holds a socket to close.
      if (lane->jobs.empty()) return;
      fn = std::move(lane->jobs.front());
      lane->jobs.pop_front();
      if (!overflow) --idle_;
    }
    fn();
    if (!overflow) {
      std::lock_guard<std::mutex> lock(mu_);
      ++idle_;
    }
  }
}

}  // namespace riposte::responder
