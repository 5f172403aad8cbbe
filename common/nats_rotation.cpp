#include "common/nats_rotation.h"

#include <algorithm>

#include "common/log.h"

namespace riposte::nats {

Result<std::unique_ptr<RotatingConnection>> RotatingConnection::connect(const Options& options) {
  std::string password;
  if (!options.password_file.empty()) {
    SecretFile file(options.password_file);
    if (Status st = file.load(); !st.ok()) return Error{"nats password file: " + st.error()};
    password = file.current();
  }
  auto conn = Connection::connect(options);
  if (!conn) return conn.err();
  return std::unique_ptr<RotatingConnection>(
      new RotatingConnection(options, std::move(*conn), std::move(password)));
}

RotatingConnection::RotatingConnection(Options options, std::unique_ptr<Connection> conn,
                                       std::string password)
    : options_(std::move(options)), owned_(std::move(conn)), password_(std::move(password)) {
  current_ = owned_.get();
  if (!options_.password_file.empty()) {
    file_ = std::make_unique<SecretFile>(options_.password_file, 0);
    (void)file_->load();
  }
}

RotatingConnection::~RotatingConnection() {
  stop_following();
  std::fill(password_.begin(), password_.end(), '\0');
}

void RotatingConnection::stop_following() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RotatingConnection::follow(Rebind rebind, std::chrono::milliseconds check) {
  if (!file_ || thread_.joinable()) return;
  rebind_ = std::move(rebind);
  thread_ = std::thread([this, check] { loop(check); });
}

void RotatingConnection::loop(std::chrono::milliseconds check) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, check, [this] { return stop_; })) {
    lock.unlock();
    try_rotate();
    lock.lock();
  }
}

void RotatingConnection::try_rotate() {
  std::string password = file_->current();
  if (password.empty() || password == password_) return;
  // The file changed. Until the server knows the new password this fails, and is retried at
  // the next check with the old connection still in place.
  Options next_options = options_;
  next_options.password = password;
  next_options.password_file.clear();
  auto next = Connection::connect(next_options);
  if (!next) {
    if (warned_for_ != password) {  // once per new password, not at every check
      log::warn("NATS password changed; the new one is not accepted yet, keeping the connection",
                {{"file", options_.password_file}, {"error", next.error()}});
      warned_for_ = password;
    }
    return;
  }
  if (Status st = rebind_((*next).get()); !st.ok()) {
    log::error("NATS password changed; moving onto the new connection failed, keeping the old",
               {{"error", st.error()}});
    return;
  }
  std::unique_ptr<Connection> old = std::move(owned_);
  owned_ = std::move(*next);
  current_ = owned_.get();
  std::fill(password_.begin(), password_.end(), '\0');
  password_ = std::move(password);
  warned_for_.clear();
  ++rotations_;
  old.reset();  // after every component moved off it
  log::info("NATS credentials rotated",
            {{"user", options_.user}, {"file", options_.password_file}});
}

}  // namespace riposte::nats
