// A NATS connection whose password follows its file (--nats-password-file, a Kubernetes Secret
// volume): when the file changes, a new connection is made with the new password, the
// components on the old one move over (`rebind`), and the old one is closed. Rotating the
// password therefore takes effect without restarting the process.
//
// Why a new connection: nats.c fixes a connection's user and password for its whole life,
// reconnects included, so after the server has the new password the old connection can never
// come back. Its subscriptions, consumers and publishers belong to it, hence rebind.
//
// Safe by construction: the new connection must authenticate before anything moves, a rebind
// that fails keeps the old connection, and a file caught half-written (SecretFile keeps the last
// good value) or a password the server does not know yet is simply tried again at the next
// check. Without a password file this is a plain connection.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/nats.h"
#include "common/result.h"
#include "common/secret_file.h"

namespace riposte::nats {

class RotatingConnection {
 public:
  // Moves the components onto `next` (already connected with the new password). On success
  // the old connection is closed right after; on failure `next` is closed and the old one kept.
  using Rebind = std::function<Status(Connection* next)>;

  static Result<std::unique_ptr<RotatingConnection>> connect(const Options& options);
  ~RotatingConnection();
  RotatingConnection(const RotatingConnection&) = delete;
  RotatingConnection& operator=(const RotatingConnection&) = delete;

  // The current connection. Components keep it until their rebind moves them.
  Connection* get() const { return current_.load(); }
  // Starts following the password file (nothing to follow without one): checks every `check`;
  // rebind runs on this object's thread. Call once, after the components are on get().
  void follow(Rebind rebind, std::chrono::milliseconds check = std::chrono::seconds(1));
  // Stops following (waits for a rotation in progress); call before the components that
  // rebind touches are destroyed.
  void stop_following();
  // How many rotations took effect.
  int rotations() const { return rotations_.load(); }

 private:
  RotatingConnection(Options options, std::unique_ptr<Connection> conn, std::string password);
  void loop(std::chrono::milliseconds check);
  void try_rotate();

  Options options_;
  std::unique_ptr<Connection> owned_;
  std::atomic<Connection*> current_{nullptr};
  std::unique_ptr<SecretFile> file_;  // null without a password file
  std::string password_;              // the one the current connection authenticated with
  std::string warned_for_;            // a new password already reported as not accepted
  Rebind rebind_;
  std::atomic<int> rotations_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace riposte::nats
