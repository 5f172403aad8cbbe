// A thin C++ wrapper over nats.c (core NATS and JetStream). Every nats.c handle is owned by
// exactly one object here and released in its destructor; failures come back as Result/Status
// with the library's own explanation in the message.
//
// Lifetimes: objects handed out by a Connection (Subscription, PullConsumer, KeyValue, and the
// Messages they produce) keep the nats.c objects they need alive by reference counting, so they
// may outlive the Connection without crashing; once the Connection is gone they just fail.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

// nats.c's opaque types, so that including this header does not drag <nats/nats.h> along.
struct __natsConnection;
struct __natsSubscription;
struct __natsMsg;
struct __jsCtx;
struct __kvStore;

namespace riposte::nats {

struct Options {
  std::string url = "nats://127.0.0.1:4222";  // comma-separated list for a cluster
  std::string name{};                         // shows up in the server's connz
  std::string user{};
  std::string password{};
  // A file holding the password (a Kubernetes Secret volume), read at connect; keeps the
  // password out of argv and the environment. Wins over `password`.
  std::string password_file{};
  std::string token{};
  std::string creds_file{};      // .creds (user JWT + nkey seed), decentralized auth
  std::string nkey_seed_file{};  // file holding an "SU..." user nkey seed
  std::string ca_file{};         // setting it turns TLS on
  // The name the server's certificate must carry. Empty: the URLs' host when they all share
  // one DNS name (e.g. a Kubernetes Service); with IP addresses only the chain is verified.
  std::string tls_hostname{};
  std::string cert_file{};       // optional client certificate (mutual TLS) ...
  std::string key_file{};        // ... and its key
  // Prefix of this connection's reply subjects (request replies, JetStream acks, pull
  // deliveries). Each component gets its own so that its subject permissions can grant
  // subscribe on its own replies only: with the shared "_INBOX" a client allowed to subscribe
  // there could read the replies meant for another (e.g. alerts delivered to a responder).
  // Empty: nats.c's "_INBOX".
  std::string inbox_prefix{};
  int reconnect_wait_ms = 250;
  int max_reconnect = -1;  // -1: forever, so daemons ride out a nats-server restart
  int timeout_ms = 5000;   // connect, flush and JetStream API requests
  // Called from a nats.c thread on every connect/disconnect/reconnect/close. Must not destroy
  // the Connection (its destructor waits for the last callback).
  std::function<void(bool connected)> on_state{};
};

struct StreamConfig {
  std::string name{};
  std::vector<std::string> subjects{};
  int replicas = 1;
  int64_t duplicate_window_ms = 120000;  // how long Nats-Msg-Id dedup remembers an id
  int64_t max_age_ms = 0;                // 0: no age limit
  bool memory = false;                   // memory instead of file storage
};

struct ConsumerConfig {
  std::string stream{};
  std::string durable{};         // processes sharing it split the messages between them
  std::string filter_subject{};  // empty: every subject of the stream
  int64_t ack_wait_ms = 30000;
  int max_deliver = 5;                // -1: unlimited
  std::vector<int64_t> backoff_ms{};  // redelivery delays; overrides ack_wait when set
  int max_ack_pending = 10000;
};

struct PubAck {
  std::string stream;
  uint64_t sequence = 0;
  bool duplicate = false;  // the server had already stored this Nats-Msg-Id
};

struct KvEntry {
  std::string value;
  uint64_t revision = 0;
  // When the server stored this revision (ns since the epoch, the server's clock): the one
  // clock that replicas on machines with different clocks can agree on.
  int64_t created_ns = 0;
};

// The "U..." public key of a user nkey seed ("SU..."); exposed for tests and tooling.
Result<std::string> nkey_public_from_seed(std::string_view seed);

// One received message, core or JetStream. Owns its natsMsg.
class Message {
 public:
  Message() = default;
  Message(__natsMsg* msg, std::shared_ptr<void> keep_alive);
  Message(Message&& other) noexcept;
  Message& operator=(Message&& other) noexcept;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  ~Message();

  std::string_view data() const;
  std::string_view subject() const;
  std::string_view reply() const;
  std::optional<std::string> header(const std::string& key) const;
  // JetStream delivery metadata; 0 for core messages.
  uint64_t num_delivered() const;
  uint64_t stream_sequence() const;

  // Waits for the server's confirmation, so "acked" means the server recorded it.
  Status ack();
  // Sends the ack without waiting for the server: no round trip. Only for consumers that
  // tolerate a lost ack (it becomes a redelivery after the ack wait).
  Status ack_async();
  // Asks for redelivery, after delay_ms when > 0 (otherwise per the consumer's policy).
  Status nak(int64_t delay_ms = 0);
  // Never redeliver (poison message).
  Status term();
  // Resets the ack-wait timer for slow work.
  Status in_progress();

 private:
  void load_metadata() const;

  __natsMsg* msg_ = nullptr;
  // The subscription a JetStream message came from: acks go through it.
  std::shared_ptr<void> keep_alive_;
  mutable bool meta_loaded_ = false;
  mutable uint64_t num_delivered_ = 0;
  mutable uint64_t stream_sequence_ = 0;
};

// A core NATS subscription; unsubscribes in the destructor and waits until the handler has
// returned for the last time, so the handler may capture objects that die right after.
// Do not destroy it from inside its own handler.
class Subscription {
 public:
  struct State;
  explicit Subscription(std::shared_ptr<State> state);
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription();

 private:
  std::shared_ptr<State> state_;
};

// A durable pull consumer with explicit acks.
class PullConsumer {
 public:
  PullConsumer(std::shared_ptr<__natsSubscription> sub, ConsumerConfig config);
  PullConsumer(const PullConsumer&) = delete;
  PullConsumer& operator=(const PullConsumer&) = delete;
  ~PullConsumer();

  // Up to max_msgs messages, waiting up to timeout_ms for the first; a timeout with nothing
  // to deliver is an empty vector, not an error. Returns as soon as anything is there (never
  // waits to fill the batch), so fetching adds no latency at low rates. One fetch at a time per PullConsumer; for
  // parallel workers create one PullConsumer each (same durable).
  Result<std::vector<Message>> fetch(int max_msgs, int timeout_ms);
  const ConsumerConfig& config() const { return config_; }

 private:
  std::shared_ptr<__natsSubscription> sub_;
  ConsumerConfig config_;
};

// A JetStream KeyValue bucket.
class PublishBatch;

class KeyValue {
 public:
  KeyValue(__kvStore* kv, std::string bucket);
  KeyValue(const KeyValue&) = delete;
  KeyValue& operator=(const KeyValue&) = delete;
  ~KeyValue();

  // Stores value only if key is absent (or deleted); fails with ErrorCode::kKeyExists otherwise.
  // Returns the new revision.
  Result<uint64_t> create(const std::string& key, std::string_view value);
  // create() sent through a batch: returns the publish's index there. Its result fails with
  // ErrorCode::kKeyExists when the key holds a value (or a delete marker: fall back to create()
  // then).
  size_t create_async(PublishBatch& batch, const std::string& key, std::string_view value);
  // nullopt when the key is absent or deleted.
  Result<std::optional<KvEntry>> get(const std::string& key);
  Result<uint64_t> put(const std::string& key, std::string_view value);
  Status del(const std::string& key);
  // Compare-and-set: stores value only if the key's latest revision is last_revision; fails
  // with ErrorCode::kWrongRevision otherwise.
  Result<uint64_t> update(const std::string& key, std::string_view value, uint64_t last_revision);
  const std::string& bucket() const { return bucket_; }

 private:
  __kvStore* kv_ = nullptr;
  std::string bucket_;
};

// JetStream publishes sent without waiting, then waited for together: one round trip for the
// whole batch instead of one per message. Each batch has its own JetStream context, so one
// batch's wait never waits for another's publishes. Use from one thread at a time.
class PublishBatch {
 public:
  struct State;
  explicit PublishBatch(std::shared_ptr<State> state);
  PublishBatch(const PublishBatch&) = delete;
  PublishBatch& operator=(const PublishBatch&) = delete;
  // Waits (bounded) for publishes still in flight.
  ~PublishBatch();

  // Sends a publish; returns its index in the batch. A publish that could not be sent at all
  // still gets an index: wait() reports why.
  size_t add(const std::string& subject, std::string_view payload, const std::string& msg_id = {},
             const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Publishes added since the last wait().
  size_t size() const;
  // Waits up to timeout_ms for every publish added since the last wait(); one result per
  // publish, in add() order. A failure or a missing acknowledgment is an error, never a
  // silent success. The batch is empty afterwards.
  std::vector<Result<PubAck>> wait(int timeout_ms);

 private:
  friend class KeyValue;
  size_t add_expecting_new(const std::string& subject, std::string_view payload,
                           std::string conflict);

  std::shared_ptr<State> state_;
};

// JetStream publishes answered by callback: any number in flight from any thread, each
// answered exactly once, on nats.c's thread (stored, refused, or no acknowledgment within the
// timeout) or at once when it cannot be sent. Unlike js_publish, a caller waiting for its
// answer does not hold or contend for the connection's lock, and concurrent publishes share
// the socket writes and round trips (what lets the HTTP input store 20k alerts/s).
class AsyncPublisher {
 public:
  using Done = std::function<void(Result<PubAck>)>;
  struct State;
  explicit AsyncPublisher(std::shared_ptr<State> state);
  AsyncPublisher(const AsyncPublisher&) = delete;
  AsyncPublisher& operator=(const AsyncPublisher&) = delete;
  // Waits (bounded) for the publishes in flight; those still unanswered get an error.
  ~AsyncPublisher();

  // msg_id sets Nats-Msg-Id. done must not block: it runs on nats.c's reply thread.
  void publish(const std::string& subject, std::string_view payload, const std::string& msg_id,
               const std::vector<std::pair<std::string, std::string>>& headers, Done done);

 private:
  std::shared_ptr<State> state_;
};

class Connection {
 public:
  // Connects, or, when no server answers, returns a connection that keeps retrying in the
  // background (connected() false until it succeeds). Bad credentials and TLS problems are
  // errors.
  static Result<std::unique_ptr<Connection>> connect(const Options& options);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  bool connected() const;
  // The server's URL when connected, else "".
  std::string connected_url() const;
  // The connection's last asynchronous error (e.g. why reconnecting keeps failing), or "".
  std::string last_error() const;

  // Core NATS: fire and forget (buffered while reconnecting).
  Status publish(const std::string& subject, std::string_view payload);
  Status flush(int timeout_ms);
  // Core NATS request/reply: publishes payload with a reply subject under this connection's
  // inbox prefix and waits up to timeout_ms for the one answer. A refused publish (no rights)
  // and a subject nobody serves both end in an error (no responders, or the timeout).
  Result<std::string> request(const std::string& subject, std::string_view payload, int timeout_ms);
  // queue_group may be empty. handler runs on a nats.c thread, one message at a time.
  Result<std::unique_ptr<Subscription>> subscribe(const std::string& subject,
                                                  const std::string& queue_group,
                                                  std::function<void(Message&&)> handler);

  // Creates the stream, or updates it when it exists with different subjects, replicas,
  // duplicate window or max age. Safe to call from several processes at once.
  Status ensure_stream(const StreamConfig& config);
  // msg_id sets Nats-Msg-Id, so a retried publish is stored once per duplicate window.
  Result<PubAck> js_publish(const std::string& subject, std::string_view payload,
                            const std::string& msg_id = {},
                            const std::vector<std::pair<std::string, std::string>>& headers = {});
  // A batch of asynchronous publishes (see PublishBatch).
  Result<std::unique_ptr<PublishBatch>> publish_batch();
  // Publishes answered by callback (see AsyncPublisher). At most max_in_flight are sent and
  // unanswered at once (a publish beyond waits up to 200 ms for room, then fails); each is
  // answered with an error when not acknowledged within the connection's timeout.
  Result<std::unique_ptr<AsyncPublisher>> async_publisher(int max_in_flight);
  // Reads a stream from start_seq (1: the beginning) with an ordered push consumer:
  // ephemeral, no acks, every message once and in stream order, recreated by nats.c from the
  // last sequence seen after a gap or a lost heartbeat. For readers that index a stream (the
  // web UI); handler runs on a nats.c thread, one message at a time. Needs publish rights on
  // $JS.FC.<stream>.> (flow control answers) besides the consumer API.
  Result<std::unique_ptr<Subscription>> ordered_subscribe(const std::string& stream,
                                                          const std::string& filter_subject,
                                                          uint64_t start_seq,
                                                          std::function<void(Message&&)> handler);
  // The stream's message at seq (Message::stream_sequence() is seq).
  Result<Message> stream_get(const std::string& stream, uint64_t seq);
  // Creates or updates the durable consumer, then binds a pull subscription to it.
  Result<std::unique_ptr<PullConsumer>> pull_consumer(const ConsumerConfig& config);
  // Binds to the bucket, creating it when missing. ttl_ms 0: values never expire.
  Result<std::unique_ptr<KeyValue>> key_value(const std::string& bucket, int64_t ttl_ms = 0,
                                              int replicas = 1);

  struct Callbacks;

 private:
  Connection(__natsConnection* nc, __jsCtx* js, std::shared_ptr<Callbacks> callbacks,
             int timeout_ms);

  __natsConnection* nc_ = nullptr;
  __jsCtx* js_ = nullptr;
  std::shared_ptr<Callbacks> callbacks_;
  int timeout_ms_;
};

}  // namespace riposte::nats
