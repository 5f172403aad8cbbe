#include "common/nats.h"

#include <nats/nats.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <unordered_map>

#include "common/log.h"
#include "common/secret_file.h"

namespace riposte::nats {
namespace {

constexpr int64_t kNanosPerMilli = 1000000;

// nats.c prefixes its per-thread error text with "(file.c:123): ", which means nothing to
// an operator.
std::string last_error_text() {
  natsStatus ignored;
  const char* text = nats_GetLastError(&ignored);
  if (text == nullptr) return {};
  std::string_view t(text);
  if (!t.empty() && t.front() == '(') {
    auto end = t.find("): ");
    if (end != std::string_view::npos) t.remove_prefix(end + 3);
  }
  return std::string(t);
}

ErrorCode code_of(natsStatus s) {
  switch (s) {
    case NATS_TIMEOUT:
      return ErrorCode::kTimeout;
    case NATS_NOT_FOUND:
      return ErrorCode::kNotFound;
    case NATS_NOT_PERMITTED:
      return ErrorCode::kPermissionDenied;
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NO_SERVER:
    case NATS_NO_RESPONDERS:
      return ErrorCode::kUnavailable;
    default:
      return ErrorCode::kUnspecified;
  }
}

Error make_error(std::string_view what, natsStatus s, jsErrCode jerr = static_cast<jsErrCode>(0)) {
  std::string msg(what);
  msg += ": ";
  const std::string status = natsStatus_GetText(s);
  msg += status;
  std::string detail = last_error_text();
  if (!detail.empty() && detail != status) msg += " (" + detail + ")";
  if (jerr != 0) msg += " [jetstream error " + std::to_string(static_cast<int>(jerr)) + "]";
  return Error{std::move(msg), code_of(s)};
}

struct OptionsDeleter {
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};
struct MsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
struct PubAckDeleter {
  void operator()(jsPubAck* p) const { jsPubAck_Destroy(p); }
};
struct StreamInfoDeleter {
  void operator()(jsStreamInfo* p) const { jsStreamInfo_Destroy(p); }
};
struct ConsumerInfoDeleter {
  void operator()(jsConsumerInfo* p) const { jsConsumerInfo_Destroy(p); }
};
struct KvEntryDeleter {
  void operator()(kvEntry* e) const { kvEntry_Destroy(e); }
};
struct MetaDeleter {
  void operator()(jsMsgMetaData* m) const { jsMsgMetaData_Destroy(m); }
};

// --- nkeys -------------------------------------------------------------------------------
// natsOptions_SetNKeyFromSeed wants the public key next to the seed file, but operators only
// hold the seed; derive the public key the way the nkeys library does (base32 of prefix byte,
// ed25519 public key, crc16).

uint16_t crc16_xmodem(const uint8_t* data, size_t n) {
  uint16_t crc = 0;
  for (size_t i = 0; i < n; ++i) {
    crc ^= static_cast<uint16_t>(data[i]) << 8;
    for (int b = 0; b < 8; ++b) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::string base32_encode(const std::vector<uint8_t>& in) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t byte : in) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += kBase32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 31];
  return out;
}

bool base32_decode(std::string_view in, std::vector<uint8_t>* out) {
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    auto pos = kBase32.find(c);
    if (pos == std::string_view::npos) return false;
    buffer = (buffer << 5) | static_cast<uint32_t>(pos);
    bits += 5;
    if (bits >= 8) {
      out->push_back(static_cast<uint8_t>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return true;
}

}  // namespace

Result<std::string> nkey_public_from_seed(std::string_view seed) {
  constexpr uint8_t kPrefixSeed = 18 << 3;  // 'S'
  std::vector<uint8_t> raw;
  if (!base32_decode(seed, &raw) || raw.size() != 2 + 32 + 2) {
    return Error{"not an nkey seed (expected 58 base32 characters starting with 'S')"};
  }
  const uint16_t want = static_cast<uint16_t>(raw[raw.size() - 2] | (raw[raw.size() - 1] << 8));
  if (crc16_xmodem(raw.data(), raw.size() - 2) != want) return Error{"nkey seed checksum mismatch"};
  if ((raw[0] & 0xf8) != kPrefixSeed) return Error{"not an nkey seed (no 'S' prefix)"};
  const uint8_t kind = static_cast<uint8_t>(((raw[0] & 0x07) << 5) | ((raw[1] & 0xf8) >> 3));

  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, raw.data() + 2, 32);
  if (key == nullptr) return Error{"nkey seed is not a valid ed25519 key"};
  std::array<uint8_t, 32> pub{};
  size_t pub_len = pub.size();
  const int ok = EVP_PKEY_get_raw_public_key(key, pub.data(), &pub_len);
  EVP_PKEY_free(key);
  if (ok != 1 || pub_len != pub.size()) return Error{"cannot derive the nkey public key"};

  std::vector<uint8_t> enc;
  enc.push_back(kind);
  enc.insert(enc.end(), pub.begin(), pub.end());
  const uint16_t crc = crc16_xmodem(enc.data(), enc.size());
  enc.push_back(static_cast<uint8_t>(crc & 0xff));
  enc.push_back(static_cast<uint8_t>(crc >> 8));
  return base32_encode(enc);
}

// --- Message -------------------------------------------------------------------------------

Message::Message(natsMsg* msg, std::shared_ptr<void> keep_alive)
    : msg_(msg), keep_alive_(std::move(keep_alive)) {}

Message::Message(Message&& other) noexcept
    : msg_(std::exchange(other.msg_, nullptr)),
      keep_alive_(std::move(other.keep_alive_)),
      meta_loaded_(other.meta_loaded_),
      num_delivered_(other.num_delivered_),
      stream_sequence_(other.stream_sequence_) {}

Message& Message::operator=(Message&& other) noexcept {
  if (this != &other) {
    natsMsg_Destroy(msg_);
    msg_ = std::exchange(other.msg_, nullptr);
    keep_alive_ = std::move(other.keep_alive_);
    meta_loaded_ = other.meta_loaded_;
    num_delivered_ = other.num_delivered_;
    stream_sequence_ = other.stream_sequence_;
  }
  return *this;
}

// The natsMsg goes before keep_alive_ (the subscription it points back to).
Message::~Message() { natsMsg_Destroy(msg_); }

std::string_view Message::data() const {
  if (msg_ == nullptr) return {};
  const char* d = natsMsg_GetData(msg_);
  return d ? std::string_view(d, static_cast<size_t>(natsMsg_GetDataLength(msg_)))
           : std::string_view();
}

std::string_view Message::subject() const {
  const char* s = msg_ ? natsMsg_GetSubject(msg_) : nullptr;
  return s ? std::string_view(s) : std::string_view();
}

std::string_view Message::reply() const {
  const char* s = msg_ ? natsMsg_GetReply(msg_) : nullptr;
  return s ? std::string_view(s) : std::string_view();
}

std::optional<std::string> Message::header(const std::string& key) const {
  if (msg_ == nullptr) return std::nullopt;
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg_, key.c_str(), &value) != NATS_OK || value == nullptr) {
    return std::nullopt;
  }
  return std::string(value);
}

void Message::load_metadata() const {
  if (meta_loaded_) return;
  meta_loaded_ = true;
  // Only JetStream deliveries carry metadata (in the $JS.ACK reply subject); asking for it on
  // a core message would just record an error in nats.c's per-thread error text.
  if (reply().substr(0, 8) != "$JS.ACK.") {
    // A message read with js_GetMsg carries its sequence itself.
    stream_sequence_ = natsMsg_GetSequence(msg_);
    return;
  }
  jsMsgMetaData* raw = nullptr;
  if (natsMsg_GetMetaData(&raw, msg_) != NATS_OK) return;
  std::unique_ptr<jsMsgMetaData, MetaDeleter> meta(raw);
  num_delivered_ = meta->NumDelivered;
  stream_sequence_ = meta->Sequence.Stream;
}

uint64_t Message::num_delivered() const {
  load_metadata();
  return num_delivered_;
}

uint64_t Message::stream_sequence() const {
  load_metadata();
  return stream_sequence_;
}

Status Message::ack() {
  if (msg_ == nullptr) return Error{"ack: empty message"};
  if (!keep_alive_) return Error{"ack: not a JetStream message"};
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = natsMsg_AckSync(msg_, nullptr, &jerr);
  if (s != NATS_OK) return make_error("ack", s, jerr);
  return {};
}

Status Message::ack_async() {
  if (msg_ == nullptr) return Error{"ack: empty message"};
  if (!keep_alive_) return Error{"ack: not a JetStream message"};
  natsStatus s = natsMsg_Ack(msg_, nullptr);
  if (s != NATS_OK) return make_error("ack", s);
  return {};
}

Status Message::nak(int64_t delay_ms) {
  if (msg_ == nullptr) return Error{"nak: empty message"};
  if (!keep_alive_) return Error{"nak: not a JetStream message"};
  natsStatus s =
      delay_ms > 0 ? natsMsg_NakWithDelay(msg_, delay_ms, nullptr) : natsMsg_Nak(msg_, nullptr);
  if (s != NATS_OK) return make_error("nak", s);
  return {};
}

Status Message::term() {
  if (msg_ == nullptr) return Error{"term: empty message"};
  if (!keep_alive_) return Error{"term: not a JetStream message"};
  natsStatus s = natsMsg_Term(msg_, nullptr);
  if (s != NATS_OK) return make_error("term", s);
  return {};
}

Status Message::in_progress() {
  if (msg_ == nullptr) return Error{"in_progress: empty message"};
  if (!keep_alive_) return Error{"in_progress: not a JetStream message"};
  natsStatus s = natsMsg_InProgress(msg_, nullptr);
  if (s != NATS_OK) return make_error("in_progress", s);
  return {};
}

// --- Subscription --------------------------------------------------------------------------

struct Subscription::State {
  std::function<void(Message&&)> handler;
  natsSubscription* sub = nullptr;
  std::mutex mu;
  std::condition_variable cv;
  bool complete = false;

  static void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto* self = static_cast<State*>(closure);
    Message m(msg, nullptr);
    try {
      self->handler(std::move(m));
    } catch (const std::exception& e) {
      // An exception must not unwind through nats.c's C frames.
      log::error("nats subscription handler threw", {{"error", e.what()}});
    } catch (...) {
      log::error("nats subscription handler threw");
    }
  }

  static void on_complete(void* closure) {
    auto* self = static_cast<State*>(closure);
    std::lock_guard<std::mutex> lock(self->mu);
    self->complete = true;
    self->cv.notify_all();
  }
};

Subscription::Subscription(std::shared_ptr<State> state) : state_(std::move(state)) {}

Subscription::~Subscription() {
  if (!state_ || state_->sub == nullptr) return;
  natsSubscription_Unsubscribe(state_->sub);
  bool complete;
  {
    // nats.c may be inside the handler right now; its completion callback tells us when the
    // handler can no longer run. It fires even if the connection closed first.
    std::unique_lock<std::mutex> lock(state_->mu);
    complete =
        state_->cv.wait_for(lock, std::chrono::seconds(10), [&] { return state_->complete; });
  }
  natsSubscription_Destroy(state_->sub);
  if (!complete) {
    // Never saw completion: leave the state to nats.c rather than risk a use after free.
    log::error("nats subscription did not complete within 10s; leaking its handler");
    new std::shared_ptr<State>(std::move(state_));  // NOLINT: intentional leak
  }
}

// --- PullConsumer --------------------------------------------------------------------------

PullConsumer::PullConsumer(std::shared_ptr<natsSubscription> sub, ConsumerConfig config)
    : sub_(std::move(sub)), config_(std::move(config)) {}

PullConsumer::~PullConsumer() = default;

Result<std::vector<Message>> PullConsumer::fetch(int max_msgs, int timeout_ms) {
  std::vector<Message> out;
  if (max_msgs <= 0) return out;
  // nats.c's plain Fetch, finding nothing queued, waits until the whole batch is there or
  // the timeout passes: at a low rate every alert would wait out the timeout. no_wait with
  // expires asks for what is queued, and when nothing is, nats-server 2.9 waits for the first
  // message and returns as soon as no more are pending; a server answering "no messages" at
  // once instead gets a wait for one message.
  natsMsgList list{nullptr, 0};
  jsFetchRequest req;
  jsFetchRequest_Init(&req);
  req.Batch = max_msgs;
  req.NoWait = true;
  req.Expires = static_cast<int64_t>(std::max(timeout_ms, 1)) * kNanosPerMilli;
  natsStatus s = natsSubscription_FetchRequest(&list, sub_.get(), &req);
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (list.Count == 0 && s == NATS_NOT_FOUND) {
    natsMsgList_Destroy(&list);
    list = {nullptr, 0};
    s = natsSubscription_Fetch(&list, sub_.get(), 1, std::max(timeout_ms, 1), &jerr);
  }
  if (s == NATS_TIMEOUT && list.Count == 0) {
    natsMsgList_Destroy(&list);
    return out;
  }
  if (s != NATS_OK && list.Count == 0) {
    natsMsgList_Destroy(&list);
    return make_error("fetch from consumer " + config_.stream + "/" + config_.durable, s, jerr);
  }
  out.reserve(static_cast<size_t>(list.Count));
  for (int i = 0; i < list.Count; ++i) {
    out.emplace_back(list.Msgs[i], sub_);
    list.Msgs[i] = nullptr;  // now owned by the Message
  }
  natsMsgList_Destroy(&list);
  return out;
}

// --- KeyValue ------------------------------------------------------------------------------

KeyValue::KeyValue(kvStore* kv, std::string bucket) : kv_(kv), bucket_(std::move(bucket)) {}

KeyValue::~KeyValue() { kvStore_Destroy(kv_); }

Result<uint64_t> KeyValue::create(const std::string& key, std::string_view value) {
  uint64_t rev = 0;
  natsStatus s =
      kvStore_Create(&rev, kv_, key.c_str(), value.data(), static_cast<int>(value.size()));
  if (s == NATS_OK) return rev;
  // nats.c reports an existing key only as a generic error whose text is the server's
  // "wrong last sequence"; anything else (timeouts, disconnects) stays a plain error.
  const std::string detail = last_error_text();
  if (s == NATS_ERR && detail.find("wrong last sequence") != std::string::npos) {
    return Error{"key exists: " + bucket_ + "/" + key, ErrorCode::kKeyExists};
  }
  return make_error("kv create " + bucket_ + "/" + key, s);
}

size_t KeyValue::create_async(PublishBatch& batch, const std::string& key, std::string_view value) {
  // What kvStore_Create sends: a put that the stream refuses unless the key has no message.
  return batch.add_expecting_new("$KV." + bucket_ + "." + key, value,
                                 "key exists: " + bucket_ + "/" + key);
}

Result<std::optional<KvEntry>> KeyValue::get(const std::string& key) {
  kvEntry* raw = nullptr;
  natsStatus s = kvStore_Get(&raw, kv_, key.c_str());
  if (s == NATS_NOT_FOUND) return std::optional<KvEntry>();
  if (s != NATS_OK) return make_error("kv get " + bucket_ + "/" + key, s);
  std::unique_ptr<kvEntry, KvEntryDeleter> e(raw);
  KvEntry out;
  const auto* data = static_cast<const char*>(kvEntry_Value(e.get()));
  if (data != nullptr) out.value.assign(data, static_cast<size_t>(kvEntry_ValueLen(e.get())));
  out.revision = kvEntry_Revision(e.get());
  out.created_ns = kvEntry_Created(e.get());
  return std::optional<KvEntry>(std::move(out));
}

Result<uint64_t> KeyValue::put(const std::string& key, std::string_view value) {
  uint64_t rev = 0;
  natsStatus s = kvStore_Put(&rev, kv_, key.c_str(), value.data(), static_cast<int>(value.size()));
  if (s != NATS_OK) return make_error("kv put " + bucket_ + "/" + key, s);
  return rev;
}

Status KeyValue::del(const std::string& key) {
  natsStatus s = kvStore_Delete(kv_, key.c_str());
  if (s != NATS_OK) return make_error("kv delete " + bucket_ + "/" + key, s);
  return {};
}

Result<uint64_t> KeyValue::update(const std::string& key, std::string_view value,
                                  uint64_t last_revision) {
  uint64_t rev = 0;
  natsStatus s = kvStore_Update(&rev, kv_, key.c_str(), value.data(),
                                static_cast<int>(value.size()), last_revision);
  if (s == NATS_OK) return rev;
  const std::string detail = last_error_text();
  if (s == NATS_ERR && detail.find("wrong last sequence") != std::string::npos) {
    return Error{"wrong revision: " + bucket_ + "/" + key + " (" + detail + ")",
                 ErrorCode::kWrongRevision};
  }
  return make_error("kv update " + bucket_ + "/" + key, s);
}

namespace {

// Why an asynchronous publish failed, as its AckHandler is told.
std::string async_publish_error(natsMsg* msg, const jsPubAckErr* pae) {
  const char* subject = natsMsg_GetSubject(msg);
  std::string text =
      "js publish to " + std::string(subject ? subject : "?") + ": " +
      (pae && pae->ErrText ? pae->ErrText : natsStatus_GetText(pae ? pae->Err : NATS_ERR));
  if (pae && pae->ErrCode != 0) {
    text += " [jetstream error " + std::to_string(static_cast<int>(pae->ErrCode)) + "]";
  }
  return text;
}

// Before a context with an AckHandler goes: waits up to max_wait_ms for its publishes; when
// some are left, takes them back from nats.c (no callback comes for them then), hands each to
// taken, and waits for callbacks already running. False when some may still run.
bool drain_async_publishes(jsCtx* js, int64_t max_wait_ms,
                           const std::function<void(natsMsg*)>& taken) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = max_wait_ms;
  if (js_PublishAsyncComplete(js, &po) == NATS_OK) return true;
  natsMsgList pending{nullptr, 0};
  if (js_PublishAsyncGetPendingList(&pending, js) == NATS_OK) {
    for (int i = 0; taken && i < pending.Count; ++i) taken(pending.Msgs[i]);
    natsMsgList_Destroy(&pending);
  }
  return js_PublishAsyncComplete(js, &po) == NATS_OK;
}

}  // namespace

// --- PublishBatch --------------------------------------------------------------------------

// Shared with nats.c's reply thread through the raw AckHandler closure. The destructor frees
// it only once nats.c has no callback left to make (see ~PublishBatch).
struct PublishBatch::State {
  jsCtx* js = nullptr;
  std::mutex mu;
  std::unordered_map<natsMsg*, size_t> in_flight;  // message -> index in results
  std::vector<Result<PubAck>> results;
  std::vector<std::string> conflicts;  // per index: the error for "wrong last sequence"

  static void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto* self = static_cast<State*>(closure);
    {
      std::lock_guard<std::mutex> lock(self->mu);
      // Absent: its wait() already gave up on it.
      if (auto it = self->in_flight.find(msg); it != self->in_flight.end()) {
        const size_t i = it->second;
        self->in_flight.erase(it);
        if (pa != nullptr) {
          self->results[i] = PubAck{pa->Stream ? pa->Stream : "", pa->Sequence, pa->Duplicate};
        } else {
          Error err{async_publish_error(msg, pae)};
          if (pae && pae->ErrCode == JSStreamWrongLastSequenceErr && !self->conflicts[i].empty()) {
            err = Error{self->conflicts[i], ErrorCode::kKeyExists};
          } else if (pae && pae->Err == NATS_TIMEOUT) {
            err.code = ErrorCode::kTimeout;
          }
          self->results[i] = std::move(err);
        }
      }
    }
    natsMsg_Destroy(msg);  // the AckHandler owns it
  }
};

PublishBatch::PublishBatch(std::shared_ptr<State> state) : state_(std::move(state)) {}

PublishBatch::~PublishBatch() {
  if (!state_ || state_->js == nullptr) return;
  const bool quiet = drain_async_publishes(state_->js, 10000, nullptr);
  jsCtx_Destroy(state_->js);
  if (!quiet) {
    log::error("nats publish batch still busy after 10s; leaking its state");
    new std::shared_ptr<State>(std::move(state_));  // NOLINT: intentional leak
  }
}

size_t PublishBatch::size() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->results.size();
}

size_t PublishBatch::add(const std::string& subject, std::string_view payload,
                         const std::string& msg_id,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  std::vector<std::pair<std::string, std::string>> all = headers;
  if (!msg_id.empty()) all.emplace_back("Nats-Msg-Id", msg_id);
  State& st = *state_;
  size_t index;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    index = st.results.size();
    st.results.emplace_back(Error{"js publish to " + subject + ": no acknowledgment"});
    st.conflicts.emplace_back();
  }
  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr, payload.data(),
                                static_cast<int>(payload.size()));
  for (size_t h = 0; s == NATS_OK && h < all.size(); ++h) {
    s = natsMsgHeader_Add(raw, all[h].first.c_str(), all[h].second.c_str());
  }
  if (s == NATS_OK) {
    std::lock_guard<std::mutex> lock(st.mu);
    // Registered before sending: the acknowledgment may arrive before the call returns.
    st.in_flight[raw] = index;
  }
  natsMsg* sent = raw;
  if (s == NATS_OK) s = js_PublishMsgAsync(st.js, &raw, nullptr);
  if (s != NATS_OK) {
    Error err = make_error("js publish to " + subject, s);
    std::lock_guard<std::mutex> lock(st.mu);
    st.in_flight.erase(sent);
    st.results[index] = std::move(err);
  }
  natsMsg_Destroy(raw);  // null once nats.c took it
  return index;
}

size_t PublishBatch::add_expecting_new(const std::string& subject, std::string_view payload,
                                       std::string conflict) {
  const size_t i = add(subject, payload, {}, {{"Nats-Expected-Last-Subject-Sequence", "0"}});
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->conflicts[i] = std::move(conflict);
  return i;
}

std::vector<Result<PubAck>> PublishBatch::wait(int timeout_ms) {
  State& st = *state_;
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = std::max(timeout_ms, 1);
  if (js_PublishAsyncComplete(st.js, &po) != NATS_OK) {
    // Whatever is still pending keeps its "no acknowledgment" error; nats.c hands the
    // messages back so that no late callback refers to this batch.
    natsMsgList pending{nullptr, 0};
    if (js_PublishAsyncGetPendingList(&pending, st.js) == NATS_OK) natsMsgList_Destroy(&pending);
  }
  std::lock_guard<std::mutex> lock(st.mu);
  st.in_flight.clear();
  st.conflicts.clear();
  return std::exchange(st.results, {});
}

// --- AsyncPublisher --------------------------------------------------------------------------

// Shared with nats.c's reply thread through the raw AckHandler closure; outlives every
// callback (see ~AsyncPublisher).
struct AsyncPublisher::State {
  jsCtx* js = nullptr;
  int timeout_ms = 5000;
  std::mutex mu;
  std::unordered_map<natsMsg*, Done> in_flight;

  Done take(natsMsg* msg) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = in_flight.find(msg);
    if (it == in_flight.end()) return nullptr;
    Done done = std::move(it->second);
    in_flight.erase(it);
    return done;
  }

  static void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto* self = static_cast<State*>(closure);
    Done done = self->take(msg);
    if (done) {
      if (pa != nullptr) {
        done(PubAck{pa->Stream ? pa->Stream : "", pa->Sequence, pa->Duplicate});
      } else {
        done(Error{async_publish_error(msg, pae)});
      }
    }
    natsMsg_Destroy(msg);  // the AckHandler owns it
  }
};

AsyncPublisher::AsyncPublisher(std::shared_ptr<State> state) : state_(std::move(state)) {}

AsyncPublisher::~AsyncPublisher() {
  if (!state_ || state_->js == nullptr) return;
  // Unanswered publishes are answered here.
  const bool quiet =
      drain_async_publishes(state_->js, state_->timeout_ms + 1000, [this](natsMsg* msg) {
        if (Done done = state_->take(msg)) {
          done(Error{"js publish: no acknowledgment before the publisher closed"});
        }
      });
  jsCtx_Destroy(state_->js);
  if (!quiet) {
    log::error("nats async publisher still busy at close; leaking its state");
    new std::shared_ptr<State>(std::move(state_));  // NOLINT: intentional leak
  }
}

void AsyncPublisher::publish(const std::string& subject, std::string_view payload,
                             const std::string& msg_id,
                             const std::vector<std::pair<std::string, std::string>>& headers,
                             Done done) {
  State& st = *state_;
  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr, payload.data(),
                                static_cast<int>(payload.size()));
  for (size_t h = 0; s == NATS_OK && h < headers.size(); ++h) {
    s = natsMsgHeader_Add(raw, headers[h].first.c_str(), headers[h].second.c_str());
  }
  if (s != NATS_OK) {
    natsMsg_Destroy(raw);
    done(make_error("js publish to " + subject, s));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(st.mu);
    // Registered before sending: the acknowledgment may arrive before the call returns.
    st.in_flight.emplace(raw, std::move(done));
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = st.timeout_ms;  // nats.c answers a publish left without acknowledgment
  if (!msg_id.empty()) po.MsgId = msg_id.c_str();
  natsMsg* sent = raw;
  s = js_PublishMsgAsync(st.js, &raw, &po);
  if (s != NATS_OK) {
    // Not sent: nats.c left the message to us and makes no callback for it.
    Error err = make_error("js publish to " + subject, s);
    if (Done d = st.take(sent)) d(std::move(err));
  }
  natsMsg_Destroy(raw);  // null once nats.c took it
}

// --- Connection ----------------------------------------------------------------------------

// Shared with nats.c's callback thread through a raw closure pointer. ~Connection waits for
// the closed callback (always the last one) before letting it go.
struct Connection::Callbacks {
  std::function<void(bool)> on_state;
  std::mutex mu;
  std::condition_variable cv;
  bool closed = false;

  void notify(bool connected) {
    if (!on_state) return;
    try {
      on_state(connected);
    } catch (...) {
      log::error("nats on_state callback threw");
    }
  }
  static void on_connected(natsConnection*, void* closure) {
    static_cast<Callbacks*>(closure)->notify(true);
  }
  static void on_disconnected(natsConnection*, void* closure) {
    static_cast<Callbacks*>(closure)->notify(false);
  }
  static void on_closed(natsConnection*, void* closure) {
    auto* self = static_cast<Callbacks*>(closure);
    self->notify(false);
    std::lock_guard<std::mutex> lock(self->mu);
    self->closed = true;
    self->cv.notify_all();
  }
  static void on_error(natsConnection* nc, natsSubscription*, natsStatus err, void*) {
    const char* text = nullptr;
    natsConnection_GetLastError(nc, &text);
    log::warn("nats asynchronous error",
              {{"status", natsStatus_GetText(err)}, {"detail", text ? text : ""}});
  }
};

namespace {

// The host every URL of a comma-separated list names, when it is a DNS name; "" for IP
// addresses (a certificate's IP SANs are not checked by name) or differing hosts.
std::string common_dns_host(const std::string& urls) {
  std::string common;
  size_t start = 0;
  while (start <= urls.size()) {
    const size_t comma = std::min(urls.find(',', start), urls.size());
    std::string u = urls.substr(start, comma - start);
    start = comma + 1;
    if (auto scheme = u.find("://"); scheme != std::string::npos) u = u.substr(scheme + 3);
    if (auto at = u.rfind('@'); at != std::string::npos) u = u.substr(at + 1);
    u = u.substr(0, u.find_first_of(":/"));
    u.erase(0, u.find_first_not_of(' '));
    if (u.empty()) continue;
    const bool ip = u.find_first_not_of("0123456789.") == std::string::npos || u[0] == '[';
    if (ip || (!common.empty() && common != u)) return {};
    common = u;
  }
  return common;
}

Result<std::unique_ptr<natsOptions, OptionsDeleter>> build_options(const Options& o,
                                                                   Connection::Callbacks* cb) {
  natsOptions* raw = nullptr;
  natsStatus s = natsOptions_Create(&raw);
  if (s != NATS_OK) return make_error("nats options", s);
  std::unique_ptr<natsOptions, OptionsDeleter> opts(raw);

  auto check = [](natsStatus st, const char* what) -> Status {
    if (st != NATS_OK) return make_error(what, st);
    return {};
  };
  std::vector<Status> steps;
  if (o.url.find(',') == std::string::npos) {
    steps.push_back(check(natsOptions_SetURL(opts.get(), o.url.c_str()), "nats url"));
  } else {
    // This nats.c takes a list only through SetServers: SetURL fails on "a,b,c".
    std::vector<std::string> urls;
    size_t start = 0;
    while (start <= o.url.size()) {
      size_t comma = std::min(o.url.find(',', start), o.url.size());
      std::string u = o.url.substr(start, comma - start);
      u.erase(0, u.find_first_not_of(' '));
      u.erase(u.find_last_not_of(' ') + 1);
      if (!u.empty()) urls.push_back(std::move(u));
      start = comma + 1;
    }
    std::vector<const char*> ptrs;
    for (const auto& u : urls) ptrs.push_back(u.c_str());
    steps.push_back(check(natsOptions_SetServers(opts.get(), ptrs.data(), static_cast<int>(ptrs.size())),
                          "nats urls"));
  }
  if (!o.name.empty())
    steps.push_back(check(natsOptions_SetName(opts.get(), o.name.c_str()), "nats name"));
  std::string password = o.password;
  if (!o.password_file.empty()) {
    SecretFile file(o.password_file);
    if (Status st = file.load(); !st.ok()) return Error{"nats password file: " + st.error()};
    password = file.current();
  }
  if (!o.user.empty() || !password.empty()) {
    steps.push_back(check(natsOptions_SetUserInfo(opts.get(), o.user.c_str(), password.c_str()),
                          "nats user/password"));
  }
  std::fill(password.begin(), password.end(), '\0');
  if (!o.inbox_prefix.empty()) {
    steps.push_back(check(natsOptions_SetCustomInboxPrefix(opts.get(), o.inbox_prefix.c_str()),
                          "nats inbox prefix"));
  }
  if (!o.token.empty())
    steps.push_back(check(natsOptions_SetToken(opts.get(), o.token.c_str()), "nats token"));
  if (!o.creds_file.empty()) {
    steps.push_back(
        check(natsOptions_SetUserCredentialsFromFiles(opts.get(), o.creds_file.c_str(), nullptr),
              "nats creds file"));
  }
  if (!o.nkey_seed_file.empty()) {
    std::ifstream in(o.nkey_seed_file);
    if (!in) return Error{"nats nkey seed file " + o.nkey_seed_file + ": cannot read"};
    std::string word, seed;
    while (in >> word) {
      if (word.size() > 2 && word[0] == 'S' && word[1] == 'U') {
        seed = word;
        break;
      }
    }
    auto pub = nkey_public_from_seed(seed);
    std::fill(seed.begin(), seed.end(), '\0');
    if (!pub) return Error{"nats nkey seed file " + o.nkey_seed_file + ": " + pub.error()};
    steps.push_back(
        check(natsOptions_SetNKeyFromSeed(opts.get(), pub->c_str(), o.nkey_seed_file.c_str()),
              "nats nkey"));
  }
  if (!o.ca_file.empty() || !o.cert_file.empty()) {
    steps.push_back(check(natsOptions_SetSecure(opts.get(), true), "nats tls"));
    // nats.c checks the certificate's name only when told which one to expect.
    const std::string host = o.tls_hostname.empty() ? common_dns_host(o.url) : o.tls_hostname;
    if (!host.empty()) {
      steps.push_back(
          check(natsOptions_SetExpectedHostname(opts.get(), host.c_str()), "nats tls hostname"));
    }
    if (!o.ca_file.empty()) {
      steps.push_back(check(natsOptions_LoadCATrustedCertificates(opts.get(), o.ca_file.c_str()),
                            ("nats tls ca file " + o.ca_file).c_str()));
    }
    if (!o.cert_file.empty()) {
      steps.push_back(check(
          natsOptions_LoadCertificatesChain(opts.get(), o.cert_file.c_str(), o.key_file.c_str()),
          ("nats tls client certificate " + o.cert_file).c_str()));
    }
  }
  steps.push_back(check(natsOptions_SetTimeout(opts.get(), o.timeout_ms), "nats timeout"));
  steps.push_back(check(natsOptions_SetAllowReconnect(opts.get(), true), "nats reconnect"));
  steps.push_back(
      check(natsOptions_SetMaxReconnect(opts.get(), o.max_reconnect), "nats max reconnect"));
  steps.push_back(
      check(natsOptions_SetReconnectWait(opts.get(), o.reconnect_wait_ms), "nats reconnect wait"));
  // Keep publishing through a short outage: buffered data is flushed after reconnecting.
  steps.push_back(
      check(natsOptions_SetReconnectBufSize(opts.get(), 8 * 1024 * 1024), "nats reconnect buffer"));
  steps.push_back(
      check(natsOptions_SetDisconnectedCB(opts.get(), &Connection::Callbacks::on_disconnected, cb),
            "nats callbacks"));
  steps.push_back(
      check(natsOptions_SetReconnectedCB(opts.get(), &Connection::Callbacks::on_connected, cb),
            "nats callbacks"));
  steps.push_back(check(natsOptions_SetClosedCB(opts.get(), &Connection::Callbacks::on_closed, cb),
                        "nats callbacks"));
  steps.push_back(
      check(natsOptions_SetErrorHandler(opts.get(), &Connection::Callbacks::on_error, cb),
            "nats callbacks"));
  for (auto& st : steps) {
    if (!st.ok()) return st.err();
  }
  return opts;
}

// Compares as sets: the server may return subjects in any order.
bool same_subjects(const jsStreamConfig& have, const std::vector<std::string>& want) {
  std::set<std::string> a, b(want.begin(), want.end());
  for (int i = 0; i < have.SubjectsLen; ++i) a.insert(have.Subjects[i]);
  return a == b;
}

}  // namespace

Connection::Connection(natsConnection* nc, jsCtx* js, std::shared_ptr<Callbacks> callbacks,
                       int timeout_ms)
    : nc_(nc), js_(js), callbacks_(std::move(callbacks)), timeout_ms_(timeout_ms) {}

Connection::~Connection() {
  jsCtx_Destroy(js_);
  natsConnection_Destroy(nc_);
  std::unique_lock<std::mutex> lock(callbacks_->mu);
  if (!callbacks_->cv.wait_for(lock, std::chrono::seconds(10),
                               [&] { return callbacks_->closed; })) {
    lock.unlock();
    log::error("nats connection did not report closed within 10s; leaking its callbacks");
    new std::shared_ptr<Callbacks>(callbacks_);  // NOLINT: intentional leak, see Callbacks
  }
}

Result<std::unique_ptr<Connection>> Connection::connect(const Options& options) {
  auto callbacks = std::make_shared<Callbacks>();
  callbacks->on_state = options.on_state;
  auto opts = build_options(options, callbacks.get());
  if (!opts) return opts.err();

  // First a plain attempt: it reports bad credentials and TLS problems precisely, where the
  // background retry would only ever say "no server available".
  natsConnection* nc = nullptr;
  natsStatus s = natsConnection_Connect(&nc, opts->get());
  if (s == NATS_NO_SERVER) {
    // Nobody listening (yet): keep trying in the background so a daemon started before its
    // nats-server, or during a restart, comes up anyway.
    natsStatus rs = natsOptions_SetRetryOnFailedConnect(opts->get(), true, &Callbacks::on_connected,
                                                        callbacks.get());
    if (rs != NATS_OK) return make_error("nats retry on failed connect", rs);
    nc = nullptr;
    s = natsConnection_Connect(&nc, opts->get());
    if (s == NATS_NOT_YET_CONNECTED) {
      log::warn("nats not reachable yet; retrying in the background", {{"url", options.url}});
      s = NATS_OK;
    }
  }
  if (s != NATS_OK) {
    if (nc != nullptr) natsConnection_Destroy(nc);
    return make_error("connect to " + options.url, s);
  }

  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = options.timeout_ms;
  jsCtx* js = nullptr;
  s = natsConnection_JetStream(&js, nc, &jo);
  // From here on the Connection owns nc and cleans up callbacks properly.
  std::unique_ptr<Connection> conn(
      new Connection(nc, js, std::move(callbacks), options.timeout_ms));
  if (s != NATS_OK) return make_error("jetstream context", s);
  return conn;
}

bool Connection::connected() const {
  return natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

std::string Connection::last_error() const {
  const char* text = nullptr;
  natsConnection_GetLastError(nc_, &text);
  return text ? std::string(text) : std::string();
}

std::string Connection::connected_url() const {
  std::array<char, 512> buf{};
  if (natsConnection_GetConnectedUrl(nc_, buf.data(), buf.size()) != NATS_OK) return {};
  return std::string(buf.data());
}

Status Connection::publish(const std::string& subject, std::string_view payload) {
  natsStatus s = natsConnection_Publish(nc_, subject.c_str(), payload.data(),
                                        static_cast<int>(payload.size()));
  if (s != NATS_OK) return make_error("publish to " + subject, s);
  return {};
}

Result<std::string> Connection::request(const std::string& subject, std::string_view payload,
                                        int timeout_ms) {
  natsMsg* reply = nullptr;
  natsStatus s = natsConnection_Request(&reply, nc_, subject.c_str(), payload.data(),
                                        static_cast<int>(payload.size()), std::max(timeout_ms, 1));
  if (s != NATS_OK) return make_error("request to " + subject, s);
  std::string out(natsMsg_GetData(reply), static_cast<size_t>(natsMsg_GetDataLength(reply)));
  natsMsg_Destroy(reply);
  return out;
}

Status Connection::flush(int timeout_ms) {
  natsStatus s = natsConnection_FlushTimeout(nc_, std::max(timeout_ms, 1));
  if (s != NATS_OK) return make_error("flush", s);
  return {};
}

namespace {

// Hands sub to a Subscription once nats.c will say when its handler ran for the last time.
Result<std::unique_ptr<Subscription>> watch_completion(natsSubscription* sub,
                                                       std::shared_ptr<Subscription::State> state,
                                                       const std::string& what) {
  state->sub = sub;
  natsStatus s =
      natsSubscription_SetOnCompleteCB(sub, &Subscription::State::on_complete, state.get());
  if (s != NATS_OK) {
    // Without the completion callback we cannot tell when the handler has run for the last
    // time, so the handler state is left to nats.c rather than freed under it.
    Error err = make_error(what, s);
    natsSubscription_Destroy(sub);
    new std::shared_ptr<Subscription::State>(std::move(state));  // NOLINT: intentional leak
    return err;
  }
  return std::make_unique<Subscription>(std::move(state));
}

}  // namespace

Result<std::unique_ptr<Subscription>> Connection::subscribe(
    const std::string& subject, const std::string& queue_group,
    std::function<void(Message&&)> handler) {
  auto state = std::make_shared<Subscription::State>();
  state->handler = std::move(handler);
  natsSubscription* sub = nullptr;
  natsStatus s;
  if (queue_group.empty()) {
    s = natsConnection_Subscribe(&sub, nc_, subject.c_str(), &Subscription::State::on_message,
                                 state.get());
  } else {
    s = natsConnection_QueueSubscribe(&sub, nc_, subject.c_str(), queue_group.c_str(),
                                      &Subscription::State::on_message, state.get());
  }
  if (s != NATS_OK) return make_error("subscribe to " + subject, s);
  return watch_completion(sub, std::move(state), "subscribe to " + subject);
}

Result<std::unique_ptr<Subscription>> Connection::ordered_subscribe(
    const std::string& stream, const std::string& filter_subject, uint64_t start_seq,
    std::function<void(Message&&)> handler) {
  auto state = std::make_shared<Subscription::State>();
  state->handler = std::move(handler);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Ordered = true;
  so.Config.DeliverPolicy = start_seq > 1 ? js_DeliverByStartSequence : js_DeliverAll;
  so.Config.OptStartSeq = start_seq > 1 ? start_seq : 0;
  const char* filter = filter_subject.empty() ? nullptr : filter_subject.c_str();
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_Subscribe(&sub, js_, filter, &Subscription::State::on_message, state.get(),
                              nullptr, &so, &jerr);
  if (s != NATS_OK) return make_error("ordered consumer on " + stream, s, jerr);
  return watch_completion(sub, std::move(state), "ordered consumer on " + stream);
}

Result<Message> Connection::stream_get(const std::string& stream, uint64_t seq) {
  natsMsg* msg = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetMsg(&msg, js_, stream.c_str(), seq, nullptr, &jerr);
  if (s != NATS_OK) return make_error("get " + stream + " #" + std::to_string(seq), s, jerr);
  return Message(msg, nullptr);
}

Status Connection::ensure_stream(const StreamConfig& config) {
  std::vector<const char*> subjects;
  subjects.reserve(config.subjects.size());
  for (const auto& s : config.subjects) subjects.push_back(s.c_str());

  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = config.name.c_str();
  sc.Subjects = subjects.data();
  sc.SubjectsLen = static_cast<int>(subjects.size());
  sc.Replicas = config.replicas;
  sc.Duplicates = config.duplicate_window_ms * kNanosPerMilli;
  sc.MaxAge = config.max_age_ms * kNanosPerMilli;
  sc.Storage = config.memory ? js_MemoryStorage : js_FileStorage;

  // Two attempts: another process may create the stream between our lookup and our add.
  for (int attempt = 0; attempt < 2; ++attempt) {
    jsStreamInfo* raw = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&raw, js_, config.name.c_str(), nullptr, &jerr);
    std::unique_ptr<jsStreamInfo, StreamInfoDeleter> info(raw);
    if (s == NATS_NOT_FOUND) {
      jsStreamInfo* added = nullptr;
      s = js_AddStream(&added, js_, &sc, nullptr, &jerr);
      jsStreamInfo_Destroy(added);
      if (s == NATS_OK) return {};
      if (jerr == JSStreamNameExistErr) continue;
      return make_error("create stream " + config.name, s, jerr);
    }
    if (s != NATS_OK) return make_error("look up stream " + config.name, s, jerr);

    const jsStreamConfig& have = *info->Config;
    if (have.Storage != sc.Storage) {
      return Error{"stream " + config.name + " exists with " +
                   (have.Storage == js_MemoryStorage ? "memory" : "file") +
                   " storage; JetStream cannot change that in place"};
    }
    // A zero duplicate window means "server default", which then reads back as non-zero.
    const bool same_dups = sc.Duplicates == 0 || have.Duplicates == sc.Duplicates;
    if (same_subjects(have, config.subjects) && have.Replicas == sc.Replicas && same_dups &&
        have.MaxAge == sc.MaxAge) {
      return {};
    }
    jsStreamInfo* updated = nullptr;
    s = js_UpdateStream(&updated, js_, &sc, nullptr, &jerr);
    jsStreamInfo_Destroy(updated);
    if (s != NATS_OK) return make_error("update stream " + config.name, s, jerr);
    log::info("updated stream", {{"stream", config.name}});
    return {};
  }
  return Error{"create stream " + config.name + ": lost a race with a concurrent creator twice"};
}

Result<PubAck> Connection::js_publish(
    const std::string& subject, std::string_view payload, const std::string& msg_id,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr, payload.data(),
                                static_cast<int>(payload.size()));
  if (s != NATS_OK) return make_error("js publish to " + subject, s);
  std::unique_ptr<natsMsg, MsgDeleter> msg(raw);
  for (const auto& [k, v] : headers) {
    s = natsMsgHeader_Add(msg.get(), k.c_str(), v.c_str());
    if (s != NATS_OK) return make_error("js publish to " + subject + ": header " + k, s);
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = timeout_ms_;
  if (!msg_id.empty()) po.MsgId = msg_id.c_str();
  jsPubAck* ack_raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  s = js_PublishMsg(&ack_raw, js_, msg.get(), &po, &jerr);
  std::unique_ptr<jsPubAck, PubAckDeleter> ack(ack_raw);
  if (s != NATS_OK) return make_error("js publish to " + subject, s, jerr);
  PubAck out;
  out.stream = ack->Stream ? ack->Stream : "";
  out.sequence = ack->Sequence;
  out.duplicate = ack->Duplicate;
  return out;
}

Result<std::unique_ptr<PublishBatch>> Connection::publish_batch() {
  auto state = std::make_shared<PublishBatch::State>();
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = timeout_ms_;
  jo.PublishAsync.AckHandler = &PublishBatch::State::on_ack;
  jo.PublishAsync.AckHandlerClosure = state.get();
  natsStatus s = natsConnection_JetStream(&state->js, nc_, &jo);
  if (s != NATS_OK) return make_error("jetstream context", s);
  return std::make_unique<PublishBatch>(std::move(state));
}

Result<std::unique_ptr<AsyncPublisher>> Connection::async_publisher(int max_in_flight) {
  auto state = std::make_shared<AsyncPublisher::State>();
  state->timeout_ms = timeout_ms_;
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = timeout_ms_;
  jo.PublishAsync.MaxPending = std::max(max_in_flight, 1);
  jo.PublishAsync.AckHandler = &AsyncPublisher::State::on_ack;
  jo.PublishAsync.AckHandlerClosure = state.get();
  natsStatus s = natsConnection_JetStream(&state->js, nc_, &jo);
  if (s != NATS_OK) return make_error("jetstream context", s);
  return std::make_unique<AsyncPublisher>(std::move(state));
}

Result<std::unique_ptr<PullConsumer>> Connection::pull_consumer(const ConsumerConfig& config) {
  if (config.stream.empty() || config.durable.empty()) {
    return Error{"pull consumer needs a stream and a durable name"};
  }
  std::vector<int64_t> backoff_ns;
  for (int64_t ms : config.backoff_ms) backoff_ns.push_back(ms * kNanosPerMilli);

  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = config.durable.c_str();
  cc.AckPolicy = js_AckExplicit;
  cc.DeliverPolicy = js_DeliverAll;
  cc.AckWait = config.ack_wait_ms * kNanosPerMilli;
  cc.MaxDeliver = config.max_deliver;
  if (!backoff_ns.empty()) {
    cc.BackOff = backoff_ns.data();
    cc.BackOffLen = static_cast<int>(backoff_ns.size());
  }
  cc.MaxAckPending = config.max_ack_pending;
  if (!config.filter_subject.empty()) cc.FilterSubject = config.filter_subject.c_str();

  // We manage the consumer ourselves and then only bind to it: nats.c's own create-or-bind
  // refuses a durable whose settings changed, and would delete a consumer it created when the
  // subscription goes away.
  const std::string name = config.stream + "/" + config.durable;
  jsConsumerInfo* raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s =
      js_GetConsumerInfo(&raw, js_, config.stream.c_str(), config.durable.c_str(), nullptr, &jerr);
  std::unique_ptr<jsConsumerInfo, ConsumerInfoDeleter> info(raw);
  if (s == NATS_NOT_FOUND) {
    jsConsumerInfo* added = nullptr;
    s = js_AddConsumer(&added, js_, config.stream.c_str(), &cc, nullptr, &jerr);
    jsConsumerInfo_Destroy(added);
    // A concurrent peer may have created it first; binding below sorts that out.
    if (s != NATS_OK && jerr != JSConsumerNameExistErr)
      return make_error("create consumer " + name, s, jerr);
  } else if (s != NATS_OK) {
    return make_error("look up consumer " + name, s, jerr);
  } else {
    const jsConsumerConfig& have = *info->Config;
    bool same_backoff = have.BackOffLen == cc.BackOffLen;
    for (int i = 0; same_backoff && i < cc.BackOffLen; ++i)
      same_backoff = have.BackOff[i] == cc.BackOff[i];
    const std::string have_filter = have.FilterSubject ? have.FilterSubject : "";
    if (have.AckWait != cc.AckWait || have.MaxDeliver != cc.MaxDeliver || !same_backoff ||
        have.MaxAckPending != cc.MaxAckPending || have_filter != config.filter_subject) {
      jsConsumerInfo* updated = nullptr;
      s = js_UpdateConsumer(&updated, js_, config.stream.c_str(), &cc, nullptr, &jerr);
      jsConsumerInfo_Destroy(updated);
      if (s != NATS_OK) return make_error("update consumer " + name, s, jerr);
      log::info("updated consumer", {{"consumer", name}});
    }
  }

  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = config.stream.c_str();
  so.Consumer = config.durable.c_str();
  natsSubscription* sub = nullptr;
  s = js_PullSubscribe(&sub, js_,
                       config.filter_subject.empty() ? nullptr : config.filter_subject.c_str(),
                       config.durable.c_str(), nullptr, &so, &jerr);
  if (s != NATS_OK) return make_error("bind to consumer " + name, s, jerr);
  std::shared_ptr<natsSubscription> owned(sub,
                                          [](natsSubscription* p) { natsSubscription_Destroy(p); });
  return std::make_unique<PullConsumer>(std::move(owned), config);
}

Result<std::unique_ptr<KeyValue>> Connection::key_value(const std::string& bucket, int64_t ttl_ms,
                                                        int replicas) {
  kvStore* kv = nullptr;
  natsStatus s = js_KeyValue(&kv, js_, bucket.c_str());
  if (s == NATS_NOT_FOUND) {
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = bucket.c_str();
    kc.History = 1;
    kc.TTL = ttl_ms * kNanosPerMilli;
    kc.Replicas = replicas;
    kv = nullptr;
    // Idempotent on the server when a concurrent peer created the same bucket.
    s = js_CreateKeyValue(&kv, js_, &kc);
    if (s != NATS_OK) return make_error("create kv bucket " + bucket, s);
  } else if (s != NATS_OK) {
    return make_error("open kv bucket " + bucket, s);
  }
  return std::make_unique<KeyValue>(kv, bucket);
}

}  // namespace riposte::nats
