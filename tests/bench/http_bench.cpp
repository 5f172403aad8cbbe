// http/ benchmarks: the responder's HTTP alert input (Falco's http_output, Falcosidekick's
// webhook) storing every alert in RIPOSTE_ALERTS on a real nats-server the benchmark starts.
// The input runs in the benchmark process; the clients are plain sockets with TCP_NODELAY
// (as libcurl sets it), one request at a time per connection, each answer read before the
// next request (no pipelining), so a request costs a full round trip like Falco's.
//
//   http/ingest/connections:N  alerts/s from N kept-open connections ($RIPOSTE_BENCH_HTTP_ALERTS
//                              alerts in all, default 20,000); counters ok / rejected / failed
//   http/burst_1000            1,000 posts sent at once, each on its own connection: how many
//                              were stored (ok), answered 429/503 with Retry-After (rejected),
//                              or anything else, timeouts (30 s) included (failed: must be 0)
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "common/alert.h"
#include "common/log.h"
#include "responder/bus.h"
#include "responder/inputs/http_ingest.h"
#include "responder/inputs/ingest.h"
#include "tests/bench/bench_nats.h"

namespace riposte {
namespace {

constexpr const char* kToken = "bench-token";
std::atomic<int64_t> g_alert_number{0};

// One Falco alert as Falco's http_output sends it, unique per call (the input deduplicates).
std::string alert_request() {
  const Alert a = bench::bench_alert(g_alert_number++, "shop", "web-1");
  const std::string body = to_json(a);
  return "POST /falco HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + std::string(kToken) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

class Client {
 public:
  Client(int port, int timeout_s) : port_(port), timeout_s_(timeout_s) { open(); }
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  struct Answer {
    int status = 0;  // 0: no complete answer (closed, timed out)
    bool retry_after = false;
  };
  // Like libcurl: a kept-open connection the server closed before answering anything is
  // reopened and the request sent again, once.
  Answer post(const std::string& request) {
    Answer a = post_once(request);
    if (a.status == 0 && buf_.empty() && !answered_any_) return a;
    if (a.status == 0 && buf_.empty() && closed_early_) {
      open();
      a = post_once(request);
    }
    if (a.status != 0) answered_any_ = true;
    return a;
  }

 private:
  void open() {
    if (fd_ >= 0) close(fd_);
    buf_.clear();
    answered_any_ = false;
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{timeout_s_, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  Answer post_once(const std::string& request) {
    Answer out;
    closed_early_ = false;
    if (fd_ < 0) return out;
    for (size_t sent = 0; sent < request.size();) {
      ssize_t n = send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        closed_early_ = true;
        return out;
      }
      sent += static_cast<size_t>(n);
    }
    // Head, then Content-Length bytes of body; whatever follows stays for the next answer.
    size_t head_end;
    while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return out;
    }
    const std::string head = buf_.substr(0, head_end);
    size_t length = 0;
    for (size_t at = 0; at < head.size();) {
      size_t eol = head.find("\r\n", at);
      if (eol == std::string::npos) eol = head.size();
      std::string line = head.substr(at, eol - at);
      for (auto& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (line.rfind("content-length:", 0) == 0)
        length = std::strtoul(line.c_str() + 15, nullptr, 10);
      if (line.rfind("retry-after:", 0) == 0) out.retry_after = true;
      at = eol + 2;
    }
    while (buf_.size() < head_end + 4 + length) {
      if (!fill()) return out;
    }
    buf_.erase(0, head_end + 4 + length);
    if (head.size() > 12) out.status = std::atoi(head.c_str() + 9);
    return out;
  }
  bool fill() {
    char chunk[4096];
    ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) closed_early_ = buf_.empty();
    if (n <= 0) return false;
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  int port_, timeout_s_;
  int fd_ = -1;
  std::string buf_;
  bool answered_any_ = false;  // a fresh connection that fails is not retried
  bool closed_early_ = false;
};

struct Outcomes {
  std::atomic<int64_t> ok{0}, rejected{0}, failed{0};
  void count(const Client::Answer& a) {
    if (a.status == 200) {
      ++ok;
    } else if ((a.status == 429 || a.status == 503) && a.retry_after) {
      ++rejected;
    } else {
      ++failed;
    }
  }
  void report(benchmark::State& state) const {
    state.counters["ok"] = static_cast<double>(ok.load());
    state.counters["rejected"] = static_cast<double>(rejected.load());
    state.counters["failed"] = static_cast<double>(failed.load());
  }
};

// The HTTP input over a fresh nats-server, in this process.
struct Input {
  bench::BenchNats server;
  std::unique_ptr<nats::Connection> conn;
  std::unique_ptr<responder::AlertIngest> ingest;
  std::unique_ptr<responder::HttpIngest> http;

  // Starts the input; false (the benchmark skipped with the reason) when it cannot.
  bool started(benchmark::State& state) {
    const std::string err = start();
    if (!err.empty()) state.SkipWithError(err.c_str());
    return err.empty();
  }
  std::string start() {
    log::set_level(log::Level::kError);
    conn = server.ok() ? bench::connect(server.url()) : nullptr;
    if (!conn) return "cannot start nats-server";
    if (Status st = responder::ensure_streams(*conn, {}); !st.ok()) return st.error();
    ingest = std::make_unique<responder::AlertIngest>(conn.get(), nullptr);
    responder::HttpIngestOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.token = kToken;
    http = std::make_unique<responder::HttpIngest>(o, ingest.get(), nullptr);
    if (Status st = http->start(); !st.ok()) return st.error();
    return "";
  }
};

int64_t alerts_per_run() {
  const char* v = std::getenv("RIPOSTE_BENCH_HTTP_ALERTS");
  return v != nullptr && std::atoll(v) > 0 ? std::atoll(v) : 20000;
}

void BM_Ingest(benchmark::State& state) {
  const int connections = static_cast<int>(state.range(0));
  const int64_t total = alerts_per_run();
  Input input;
  if (!input.started(state)) return;
  Outcomes outcomes;
  for (auto _ : state) {
    std::vector<std::thread> clients;
    for (int c = 0; c < connections; ++c) {
      clients.emplace_back([&, c] {
        Client client(input.http->port(), 30);
        const int64_t mine = total / connections + (c < total % connections ? 1 : 0);
        for (int64_t i = 0; i < mine; ++i) outcomes.count(client.post(alert_request()));
      });
    }
    for (auto& t : clients) t.join();
  }
  state.SetItemsProcessed(state.iterations() * total);
  outcomes.report(state);
}
BENCHMARK(BM_Ingest)
    ->Name("http/ingest")
    ->ArgName("connections")
    ->Arg(1)
    ->Arg(64)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_Burst(benchmark::State& state) {
  constexpr int kPosts = 1000;
  Input input;
  if (!input.started(state)) return;
  Outcomes outcomes;
  for (auto _ : state) {
    // Every request is built before any is sent, so they arrive together.
    std::vector<std::string> requests;
    for (int i = 0; i < kPosts; ++i) requests.push_back(alert_request());
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> clients;
    for (int i = 0; i < kPosts; ++i) {
      clients.emplace_back([&, i] {
        Client client(input.http->port(), 30);
        ++ready;
        while (!go.load()) std::this_thread::yield();
        outcomes.count(client.post(requests[static_cast<size_t>(i)]));
      });
    }
    while (ready.load() < kPosts) std::this_thread::yield();
    go = true;
    for (auto& t : clients) t.join();
  }
  state.SetItemsProcessed(state.iterations() * kPosts);
  outcomes.report(state);
}
BENCHMARK(BM_Burst)
    ->Name("http/burst_1000")
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace riposte
