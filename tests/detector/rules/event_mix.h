// A realistic, deterministic stream of syscall events for the rules benchmark
// (tests/bench/rules_bench.cpp) and the no-allocation test (rules_features_test.cpp).
//
// One node: host daemons (systemd, containerd, kubelet, sshd with an interactive bash, cron,
// node_exporter) and six pods (nginx, a Python API, postgres, redis, a Java service, a Node
// app), each with its process tree under containerd-shim. The stream mixes what such a node
// does all day: file opens (reads, log appends, failed probes), execs, connects, DNS sends,
// accepts, dups, sockets, closes, clones, exits, renames, links, ptrace — inside and outside
// containers. Almost nothing matches the upstream Falco rules; a handful of events per
// thousand do (a terminal shell in a pod, a cat of /etc/shadow, a reverse-shell dup2, ...),
// as on a real node.
#pragma once

#include <fcntl.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "detector/event/event.h"

namespace riposte::detector::rules::testing {

// A process table like the detector's (hash map by pid).
class MixProcs : public ProcessLookup {
 public:
  const ProcessInfo* find(int64_t pid) const override {
    auto it = procs_.find(pid);
    return it == procs_.end() ? nullptr : it->second.get();
  }
  ProcessInfo* add(int64_t pid, int64_t ppid, std::string name, std::string exepath,
                   std::vector<std::string> args,
                   std::shared_ptr<const ContainerInfo> container = nullptr) {
    auto p = std::make_unique<ProcessInfo>();
    p->pid = p->tid = p->vpid = p->vtid = pid;
    p->ppid = ppid;
    p->sid = p->pgid = ppid > 1 ? ppid : pid;
    p->name = std::move(name);
    p->exepath = std::move(exepath);
    p->exe = p->exepath;
    p->args = std::move(args);
    p->uid = 0;
    p->user_name = "root";
    p->group_name = "root";
    p->cwd = "/";
    p->start_ns = 1700000000000000000ull - 3600ull * 1000000000ull;
    p->container = std::move(container);
    if (p->container) p->cap_effective = 0x00000000a80425fbull;  // docker default set
    else p->cap_effective = ~0ull >> 23;
    p->cap_permitted = p->cap_effective;
    ProcessInfo* raw = p.get();
    procs_[pid] = std::move(p);
    return raw;
  }

 private:
  std::unordered_map<int64_t, std::unique_ptr<ProcessInfo>> procs_;
};

struct EventMix {
  MixProcs procs;
  std::vector<std::shared_ptr<ContainerInfo>> containers;
  std::deque<FdInfo> fds;            // stable addresses
  std::deque<std::string> strings;   // storage for EventArgs string_views
  std::vector<Event> events;
  size_t expected_matching = 0;      // events built to match an upstream stable rule
};

namespace mix_detail {

struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }
};

inline std::shared_ptr<ContainerInfo> container(const std::string& id, const std::string& name,
                                                const std::string& repo, const std::string& tag,
                                                const std::string& pod, const std::string& ns,
                                                const std::string& app) {
  auto c = std::make_shared<ContainerInfo>();
  c->id = id;
  c->full_id = id + std::string(64 - id.size(), 'f');
  c->runtime = "containerd";
  c->name = name;
  c->image_repository = repo;
  c->image_tag = tag;
  c->image = repo + ":" + tag;
  c->start_ns = 1700000000000000000ull - 7200ull * 1000000000ull;
  auto p = std::make_shared<PodInfo>();
  p->uid = id + "-uid";
  p->name = pod;
  p->ns = ns;
  p->labels = {{"app", app}, {"pod-template-hash", "7d4b9"}};
  c->pod = p;
  return c;
}

inline IpAddr ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddr ip;
  ip.family = 4;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

}  // namespace mix_detail

// Builds `n` events (deterministic for a given seed).
inline std::unique_ptr<EventMix> make_event_mix(size_t n = 4096, uint64_t seed = 42) {
  using mix_detail::ip4;
  auto m = std::make_unique<EventMix>();
  mix_detail::Rng rng{seed};
  MixProcs& P = m->procs;

  // ---- host
  ProcessInfo* systemd = P.add(1, 0, "systemd", "/usr/lib/systemd/systemd", {"--system"});
  ProcessInfo* containerd = P.add(300, 1, "containerd", "/usr/bin/containerd", {});
  ProcessInfo* kubelet = P.add(310, 1, "kubelet", "/usr/bin/kubelet",
                               {"--config=/var/lib/kubelet/config.yaml"});
  ProcessInfo* sshd = P.add(320, 1, "sshd", "/usr/sbin/sshd", {"-D"});
  ProcessInfo* sshd_sess = P.add(321, 320, "sshd", "/usr/sbin/sshd", {"-D", "-R"});
  ProcessInfo* admin_bash = P.add(322, 321, "bash", "/usr/bin/bash", {});
  admin_bash->tty = 34817;
  admin_bash->uid = 1000;
  admin_bash->user_name = "alice";
  admin_bash->loginuid = 1000;
  ProcessInfo* cron = P.add(330, 1, "cron", "/usr/sbin/cron", {"-f"});
  ProcessInfo* nodeexp = P.add(340, 1, "node_exporter", "/usr/bin/node_exporter", {});
  nodeexp->uid = 65534;
  nodeexp->user_name = "nobody";
  ProcessInfo* resolved =
      P.add(350, 1, "systemd-resolve", "/usr/lib/systemd/systemd-resolved", {});
  resolved->user_name = "systemd-resolve";
  (void)systemd;
  (void)sshd;
  (void)cron;

  // ---- pods
  auto c_web = mix_detail::container("a1b2c3d4e5f6", "nginx", "docker.io/library/nginx", "1.25",
                                     "web-7d4b9-x2x9z", "shop", "web");
  auto c_api = mix_detail::container("0f1e2d3c4b5a", "api", "ghcr.io/acme/shop-api", "2.3.1",
                                     "api-5c8f7-qq7zd", "shop", "api");
  auto c_db = mix_detail::container("99aa88bb77cc", "postgres", "docker.io/library/postgres",
                                    "16", "db-0", "db", "db");
  auto c_cache = mix_detail::container("1234abcd5678", "redis", "docker.io/library/redis", "7",
                                       "cache-6b5d-k9s8p", "shop", "cache");
  auto c_jvm = mix_detail::container("feedbeef0001", "orders", "ghcr.io/acme/orders", "1.0.4",
                                     "orders-6f9-2kd8s", "shop", "orders");
  auto c_node = mix_detail::container("cafe0000babe", "frontend", "docker.io/acme/frontend",
                                      "3.2", "frontend-8d7-z1x2c", "shop", "frontend");
  m->containers = {c_web, c_api, c_db, c_cache, c_jvm, c_node};

  std::vector<ProcessInfo*> shims;
  for (int i = 0; i < 6; ++i)
    shims.push_back(P.add(400 + i, 1, "containerd-shim", "/usr/bin/containerd-shim-runc-v2",
                          {"-namespace", "k8s.io", "-id", m->containers[i]->full_id}));

  ProcessInfo* nginx_master = P.add(1000, 400, "nginx", "/usr/sbin/nginx",
                                    {"-g", "daemon off;"}, c_web);
  std::vector<ProcessInfo*> nginx_workers;
  for (int i = 0; i < 2; ++i) {
    ProcessInfo* w = P.add(1001 + i, 1000, "nginx", "/usr/sbin/nginx", {"-g", "daemon off;"},
                           c_web);
    w->uid = 101;
    w->user_name = "nginx";
    nginx_workers.push_back(w);
  }
  ProcessInfo* gunicorn = P.add(1100, 401, "gunicorn", "/usr/local/bin/python3.11",
                                {"/usr/local/bin/gunicorn", "app:app", "-w", "2"}, c_api);
  (void)gunicorn;
  std::vector<ProcessInfo*> py_workers;
  for (int i = 0; i < 2; ++i)
    py_workers.push_back(P.add(1101 + i, 1100, "gunicorn", "/usr/local/bin/python3.11",
                               {"/usr/local/bin/gunicorn", "app:app", "-w", "2"}, c_api));
  ProcessInfo* pg = P.add(1200, 402, "postgres", "/usr/lib/postgresql/16/bin/postgres",
                          {"-D", "/var/lib/postgresql/data"}, c_db);
  pg->uid = 999;
  pg->user_name = "postgres";
  std::vector<ProcessInfo*> pg_backends;
  for (int i = 0; i < 3; ++i) {
    ProcessInfo* b = P.add(1201 + i, 1200, "postgres", "/usr/lib/postgresql/16/bin/postgres",
                           {"-D", "/var/lib/postgresql/data"}, c_db);
    b->uid = 999;
    b->user_name = "postgres";
    pg_backends.push_back(b);
  }
  ProcessInfo* redis = P.add(1300, 403, "redis-server", "/usr/local/bin/redis-server",
                             {"*:6379"}, c_cache);
  redis->uid = 999;
  redis->user_name = "redis";
  ProcessInfo* java = P.add(1400, 404, "java", "/opt/java/openjdk/bin/java",
                            {"-Xmx512m", "-jar", "/app/orders.jar"}, c_jvm);
  ProcessInfo* node = P.add(1500, 405, "node", "/usr/local/bin/node", {"server.js"}, c_node);
  node->cwd = "/usr/src/app";

  // Short-lived processes that exec (the exec events below are theirs).
  struct Exec {
    ProcessInfo* p;
  };
  std::vector<ProcessInfo*> execs;
  int64_t pid = 5000;
  auto exec = [&](int64_t ppid, std::string name, std::string exepath,
                  std::vector<std::string> args,
                  std::shared_ptr<const ContainerInfo> c) -> ProcessInfo* {
    ProcessInfo* p = P.add(pid++, ppid, std::move(name), std::move(exepath), std::move(args),
                           std::move(c));
    execs.push_back(p);
    return p;
  };
  exec(1100, "sh", "/bin/sh", {"-c", "uname -s 2>&1"}, c_api);
  exec(1101, "python3", "/usr/local/bin/python3.11", {"-m", "app.worker"}, c_api);
  exec(1200, "sh", "/bin/sh", {"-c", "envdir /etc/wal-e.d/env /usr/local/bin/wal-e wal-push"},
       c_db);
  exec(1201, "pg_isready", "/usr/lib/postgresql/16/bin/pg_isready", {"-U", "postgres"}, c_db);
  exec(1400, "java", "/opt/java/openjdk/bin/java", {"-version"}, c_jvm);
  exec(1500, "node", "/usr/local/bin/node", {"healthcheck.js"}, c_node);
  exec(1300, "redis-cli", "/usr/local/bin/redis-cli", {"ping"}, c_cache);
  exec(310, "iptables", "/usr/sbin/iptables", {"-w", "5", "-t", "nat", "-S"}, nullptr);
  exec(310, "mount", "/usr/bin/mount", {"-t", "tmpfs", "tmpfs", "/var/lib/kubelet/pods/x"},
       nullptr);
  exec(310, "nsenter", "/usr/bin/nsenter", {"--net=/proc/1200/ns/net", "ip", "addr"}, nullptr);
  exec(330, "sh", "/bin/sh", {"-c", "test -x /usr/sbin/anacron || run-parts /etc/cron.daily"},
       nullptr);
  exec(330, "run-parts", "/usr/bin/run-parts", {"--report", "/etc/cron.daily"}, nullptr);
  exec(322, "ls", "/usr/bin/ls", {"-la", "/var/log"}, nullptr)->tty = 34817;
  exec(322, "vim", "/usr/bin/vim", {"/etc/nginx/nginx.conf"}, nullptr)->tty = 34817;
  exec(322, "kubectl", "/usr/local/bin/kubectl", {"get", "pods", "-A"}, nullptr)->tty = 34817;
  exec(322, "grep", "/usr/bin/grep", {"-r", "error", "/var/log/syslog"}, nullptr)->tty = 34817;
  exec(300, "runc", "/usr/bin/runc", {"--root", "/run/containerd/runc/k8s.io", "state", "x"},
       nullptr);
  exec(402, "runc", "/usr/bin/runc", {"init"}, nullptr);
  exec(1, "systemd-tmpfile", "/usr/bin/systemd-tmpfiles", {"--clean"}, nullptr);
  exec(1102, "curl", "/usr/bin/curl", {"-s", "http://orders:8080/health"}, c_api);
  exec(1000, "nginx", "/usr/sbin/nginx", {"-s", "reload"}, c_web);
  exec(1500, "npm", "/usr/local/bin/npm", {"run", "metrics"}, c_node);
  exec(1400, "sh", "/bin/sh", {"-c", "kill -0 1400"}, c_jvm);
  exec(340, "ip", "/usr/sbin/ip", {"-s", "link"}, nullptr);
  const size_t n_benign_execs = execs.size();

  // Matching (rare) actors.
  ProcessInfo* runc_child = P.add(4900, 402, "runc:[1:CHILD]", "/usr/bin/runc", {"init"}, c_api);
  ProcessInfo* kube_exec_shell = P.add(4901, 4900, "bash", "/bin/bash", {}, c_api);
  kube_exec_shell->tty = 34816;
  ProcessInfo* cat_shadow = P.add(4902, 4901, "cat", "/bin/cat", {"/etc/shadow"}, c_api);
  cat_shadow->tty = 34816;
  ProcessInfo* revsh = P.add(4903, 1101, "python3", "/usr/local/bin/python3.11",
                             {"-c", "import socket,os,pty"}, c_api);

  // ---- fds
  auto file_fd = [&](int64_t num, std::string name, uint32_t flags) -> const FdInfo* {
    FdInfo& f = m->fds.emplace_back();
    f.num = num;
    f.type = FdType::kFile;
    f.name = std::move(name);
    f.open_flags = flags;
    return &f;
  };
  auto sock_fd = [&](int64_t num, IpAddr cip, uint16_t cport, IpAddr sip, uint16_t sport,
                     uint8_t proto, bool server, bool connected) -> const FdInfo* {
    FdInfo& f = m->fds.emplace_back();
    f.num = num;
    f.type = FdType::kIpv4;
    f.client_ip = cip;
    f.server_ip = sip;
    f.client_port = cport;
    f.server_port = sport;
    f.l4proto = proto;
    f.is_server = server;
    f.connected = connected;
    auto ipstr = [](const IpAddr& a) {
      return std::to_string(a.bytes[0]) + "." + std::to_string(a.bytes[1]) + "." +
             std::to_string(a.bytes[2]) + "." + std::to_string(a.bytes[3]);
    };
    f.name = ipstr(cip) + ":" + std::to_string(cport) + "->" + ipstr(sip) + ":" +
             std::to_string(sport);
    return &f;
  };
  auto pipe_fd = [&](int64_t num) -> const FdInfo* {
    FdInfo& f = m->fds.emplace_back();
    f.num = num;
    f.type = FdType::kPipe;
    f.name = "pipe:[123456]";
    return &f;
  };
  auto unix_fd = [&](int64_t num, std::string path) -> const FdInfo* {
    FdInfo& f = m->fds.emplace_back();
    f.num = num;
    f.type = FdType::kUnix;
    f.name = std::move(path);
    return &f;
  };

  struct FileOpen {
    ProcessInfo* p;
    const char* path;
    uint32_t flags;
  };
  const uint32_t R = O_RDONLY | O_CLOEXEC;
  const uint32_t W = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC;
  std::vector<FileOpen> reads = {
      {nginx_workers[0], "/usr/share/nginx/html/index.html", R},
      {nginx_workers[1], "/usr/share/nginx/html/static/app.js", R},
      {nginx_workers[0], "/usr/share/nginx/html/static/style.css", R},
      {nginx_master, "/etc/nginx/nginx.conf", R},
      {nginx_master, "/etc/nginx/conf.d/default.conf", R},
      {py_workers[0], "/app/config/settings.yaml", R},
      {py_workers[1], "/usr/local/lib/python3.11/json/__init__.py", R},
      {py_workers[0], "/usr/local/lib/python3.11/site-packages/flask/app.py", R},
      {py_workers[1], "/etc/hosts", R},
      {py_workers[0], "/etc/resolv.conf", R},
      {py_workers[1], "/etc/passwd", R},
      {py_workers[0], "/proc/self/status", R},
      {pg_backends[0], "/var/lib/postgresql/data/base/16384/2619", O_RDWR},
      {pg_backends[1], "/var/lib/postgresql/data/base/16384/1259", O_RDWR},
      {pg_backends[2], "/var/lib/postgresql/data/global/pg_control", R},
      {pg, "/var/lib/postgresql/data/postgresql.conf", R},
      {redis, "/data/dump.rdb", R},
      {java, "/app/orders.jar", R},
      {java, "/opt/java/openjdk/lib/modules", R},
      {java, "/sys/fs/cgroup/cpu.max", R},
      {node, "/usr/src/app/node_modules/express/index.js", R},
      {node, "/usr/src/app/dist/index.html", R},
      {kubelet, "/sys/fs/cgroup/kubepods.slice/cpu.stat", R},
      {kubelet, "/proc/1200/stat", R},
      {kubelet, "/var/lib/kubelet/pods/1111/volumes/kubernetes.io~secret/token", R},
      {kubelet, "/etc/kubernetes/kubelet.conf", R},
      {containerd, "/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db", O_RDWR},
      {containerd, "/run/containerd/io.containerd.runtime.v2.task/k8s.io/x/config.json", R},
      {nodeexp, "/proc/stat", R},
      {nodeexp, "/proc/meminfo", R},
      {nodeexp, "/sys/class/net/eth0/statistics/rx_bytes", R},
      {nodeexp, "/proc/diskstats", R},
      {admin_bash, "/home/alice/.bashrc", R},
      {admin_bash, "/etc/bash.bashrc", R},
      {sshd_sess, "/etc/ssh/sshd_config", R},
      {resolved, "/etc/systemd/resolved.conf", R},
  };
  std::vector<FileOpen> writes = {
      {nginx_workers[0], "/var/log/nginx/access.log", W},
      {nginx_workers[1], "/var/log/nginx/error.log", W},
      {pg_backends[0], "/var/lib/postgresql/data/pg_wal/000000010000000000000001", O_RDWR},
      {py_workers[0], "/tmp/tmpa8f3k2", O_RDWR | O_CREAT | O_EXCL},
      {kubelet, "/var/lib/kubelet/cpu_manager_state", W},
      {containerd, "/var/log/pods/shop_web/nginx/0.log", W},
      {redis, "/data/temp-1300.rdb", O_WRONLY | O_CREAT | O_TRUNC},
      {admin_bash, "/home/alice/.bash_history", W},
  };
  std::vector<FileOpen> probes = {  // failed opens (ENOENT)
      {py_workers[0], "/usr/local/lib/python3.11/site-packages/yaml/__init__.cpython-311.so", R},
      {py_workers[1], "/app/.env", R},
      {node, "/usr/src/app/node_modules/lodash/package.json", R},
      {java, "/etc/java/security/java.security", R},
      {kubelet, "/sys/fs/cgroup/kubepods.slice/kubepods-pod9.slice/cpu.max", R},
      {nginx_workers[0], "/usr/share/nginx/html/favicon.ico", R},
  };

  const IpAddr pod_api = ip4(10, 244, 1, 12), pod_db = ip4(10, 244, 2, 5),
               pod_web = ip4(10, 244, 1, 7), pod_orders = ip4(10, 244, 3, 9),
               dns = ip4(10, 96, 0, 10), apisvc = ip4(10, 96, 0, 1), node_ip = ip4(192, 168, 5, 20),
               ext = ip4(93, 184, 216, 34), ext_dns = ip4(1, 1, 1, 1), lo = ip4(127, 0, 0, 1);
  struct Conn {
    ProcessInfo* p;
    const FdInfo* fd;
  };
  std::vector<Conn> connects = {
      {py_workers[0], sock_fd(7, pod_api, 41000, pod_db, 5432, 6, false, true)},
      {py_workers[1], sock_fd(8, pod_api, 41002, pod_db, 5432, 6, false, true)},
      {py_workers[0], sock_fd(9, pod_api, 52001, ip4(10, 96, 12, 4), 6379, 6, false, true)},
      {nginx_workers[0], sock_fd(11, pod_web, 38000, pod_api, 8000, 6, false, true)},
      {nginx_workers[1], sock_fd(12, pod_web, 38002, pod_api, 8000, 6, false, true)},
      {java, sock_fd(20, pod_orders, 45000, pod_db, 5432, 6, false, true)},
      {java, sock_fd(21, pod_orders, 45002, ext, 443, 6, false, true)},
      {node, sock_fd(22, ip4(10, 244, 3, 14), 33000, pod_api, 8000, 6, false, true)},
      {kubelet, sock_fd(30, node_ip, 50000, apisvc, 443, 6, false, true)},
      {kubelet, sock_fd(31, lo, 50002, lo, 10248, 6, false, true)},
      {containerd, sock_fd(32, lo, 50004, lo, 10010, 6, false, true)},
      {admin_bash, sock_fd(33, node_ip, 50006, ext, 22, 6, false, true)},
  };
  std::vector<Conn> sends = {  // DNS
      {py_workers[0], sock_fd(13, pod_api, 53001, dns, 53, 17, false, false)},
      {nginx_workers[0], sock_fd(14, pod_web, 53002, dns, 53, 17, false, false)},
      {java, sock_fd(23, pod_orders, 53003, dns, 53, 17, false, false)},
      {resolved, sock_fd(34, node_ip, 53004, ext_dns, 53, 17, false, false)},
  };
  std::vector<Conn> accepts = {
      {nginx_workers[0], sock_fd(15, ip4(10, 244, 0, 1), 60000, pod_web, 80, 6, true, true)},
      {nginx_workers[1], sock_fd(16, ip4(10, 244, 0, 1), 60002, pod_web, 80, 6, true, true)},
      {py_workers[0], sock_fd(17, pod_web, 38000, pod_api, 8000, 6, true, true)},
      {pg_backends[0], sock_fd(18, pod_api, 41000, pod_db, 5432, 6, true, true)},
      {redis, sock_fd(19, pod_api, 52001, ip4(10, 244, 4, 2), 6379, 6, true, true)},
      {sshd, sock_fd(35, ip4(203, 0, 113, 50), 61000, node_ip, 22, 6, true, true)},
  };
  std::vector<ProcessInfo*> busy = {nginx_workers[0], nginx_workers[1], py_workers[0],
                                    py_workers[1],    pg_backends[0],   pg_backends[1],
                                    redis,            java,             node,
                                    kubelet,          containerd,       nodeexp};

  auto str = [&](std::string s) -> std::string_view { return m->strings.emplace_back(std::move(s)); };

  uint64_t ts = 1700000000000000000ull;
  auto base = [&](EventType t, const ProcessInfo* p) {
    Event e;
    e.type = t;
    e.dir = '<';
    ts += 1000 + rng.below(50000);
    e.ts_ns = ts;
    e.num = m->events.size() + 1;
    e.res = 0;
    e.proc = p;
    e.procs = &P;
    return e;
  };
  auto open_event = [&](EventType t, const FileOpen& fo, bool failed) {
    Event e = base(t, fo.p);
    e.args.path = fo.path;
    e.args.flags = fo.flags;
    e.args.mode = (fo.flags & O_CREAT) ? 0644 : 0;
    if (failed) {
      e.res = -2;
    } else {
      const FdInfo* f = file_fd(3 + static_cast<int64_t>(rng.below(60)), fo.path, fo.flags);
      e.fd = f;
      e.res = f->num;
    }
    return e;
  };

  // Weighted choice of event kinds (per mille).
  enum Kind {
    kOpenRead, kOpenWrite, kOpenFailed, kLegacyOpen, kOpenat2, kExecve, kConnect, kSend,
    kAccept, kDup, kSocket, kClose, kClone, kExit, kFileOps, kLink, kPtrace, kSetuid
  };
  const std::pair<Kind, int> weights[] = {
      {kOpenRead, 300}, {kOpenWrite, 60}, {kOpenFailed, 40}, {kLegacyOpen, 20}, {kOpenat2, 5},
      {kExecve, 80},    {kConnect, 70},   {kSend, 60},       {kAccept, 50},     {kDup, 30},
      {kSocket, 30},    {kClose, 120},    {kClone, 50},      {kExit, 30},       {kFileOps, 40},
      {kLink, 5},       {kPtrace, 5},     {kSetuid, 5},
  };
  int total = 0;
  for (const auto& w : weights) total += w.second;

  m->events.reserve(n);
  while (m->events.size() < n) {
    // Every ~700 events, one that a stable rule matches.
    if (m->events.size() % 700 == 350) {
      switch ((m->events.size() / 700) % 4) {
        case 0: {  // kubectl exec -it: terminal shell in container
          m->events.push_back(base(EventType::kExecve, kube_exec_shell));
          break;
        }
        case 1: {  // cat /etc/shadow in a pod: read sensitive file untrusted
          m->events.push_back(open_event(EventType::kOpenat, {cat_shadow, "/etc/shadow", R}, false));
          break;
        }
        case 2: {  // reverse shell: dup2 of a socket onto stdin
          Event e = base(EventType::kDup2, revsh);
          e.fd = sock_fd(0, pod_api, 40404, ext, 4444, 6, false, true);
          e.res = 0;
          e.args.fd = 5;
          e.args.fd2 = 0;
          m->events.push_back(e);
          break;
        }
        default: {  // packet socket in a container
          Event e = base(EventType::kSocket, py_workers[0]);
          e.args.domain = 17;
          e.args.sock_type = 3;
          e.res = 9;
          m->events.push_back(e);
        }
      }
      ++m->expected_matching;
      continue;
    }
    int r = static_cast<int>(rng.below(static_cast<size_t>(total)));
    Kind k = kOpenRead;
    for (const auto& w : weights) {
      if (r < w.second) {
        k = w.first;
        break;
      }
      r -= w.second;
    }
    switch (k) {
      case kOpenRead:
        m->events.push_back(open_event(EventType::kOpenat, rng.pick(reads), false));
        break;
      case kOpenWrite:
        m->events.push_back(open_event(EventType::kOpenat, rng.pick(writes), false));
        break;
      case kOpenFailed:
        m->events.push_back(open_event(EventType::kOpenat, rng.pick(probes), true));
        break;
      case kLegacyOpen:
        m->events.push_back(open_event(EventType::kOpen, rng.pick(reads), false));
        break;
      case kOpenat2:
        m->events.push_back(open_event(EventType::kOpenat2, rng.pick(reads), false));
        break;
      case kExecve: {
        Event e = base(EventType::kExecve, execs[rng.below(n_benign_execs)]);
        e.args.path = e.proc->exepath;
        m->events.push_back(e);
        break;
      }
      case kConnect: {
        const Conn& c = rng.pick(connects);
        Event e = base(EventType::kConnect, c.p);
        e.fd = c.fd;
        e.args.fd = c.fd->num;
        e.res = rng.below(4) == 0 ? -115 : 0;  // EINPROGRESS for non-blocking sockets
        m->events.push_back(e);
        break;
      }
      case kSend: {
        const Conn& c = rng.pick(sends);
        Event e = base(rng.below(2) ? EventType::kSendto : EventType::kSendmsg, c.p);
        e.fd = c.fd;
        e.args.fd = c.fd->num;
        e.res = 40;
        m->events.push_back(e);
        break;
      }
      case kAccept: {
        const Conn& c = rng.pick(accepts);
        Event e = base(rng.below(2) ? EventType::kAccept4 : EventType::kAccept, c.p);
        e.fd = c.fd;
        e.res = c.fd->num;
        m->events.push_back(e);
        break;
      }
      case kDup: {
        ProcessInfo* p = rng.pick(busy);
        EventType t = rng.below(3) == 0 ? EventType::kDup : rng.below(2) ? EventType::kDup2
                                                                          : EventType::kDup3;
        Event e = base(t, p);
        bool to_std = rng.below(2) == 0;
        e.fd = to_std ? pipe_fd(1) : file_fd(10, "/dev/null", O_RDWR);
        e.args.fd = 4;
        e.args.fd2 = to_std ? 1 : 10;
        e.res = e.fd->num;
        m->events.push_back(e);
        break;
      }
      case kSocket: {
        Event e = base(EventType::kSocket, rng.pick(busy));
        switch (rng.below(3)) {
          case 0: e.args.domain = 2; e.args.sock_type = 1; e.args.protocol = 6; break;
          case 1: e.args.domain = 1; e.args.sock_type = 1; break;
          default: e.args.domain = 16; e.args.sock_type = 3; break;
        }
        e.res = 5 + static_cast<int64_t>(rng.below(20));
        if (e.args.domain == 1) e.fd = unix_fd(e.res, "/run/containerd/containerd.sock");
        m->events.push_back(e);
        break;
      }
      case kClose: {
        Event e = base(EventType::kClose, rng.pick(busy));
        e.fd = file_fd(12, rng.pick(reads).path, R);
        e.args.fd = 12;
        m->events.push_back(e);
        break;
      }
      case kClone: {
        ProcessInfo* p = rng.pick(busy);
        Event e = base(rng.below(2) ? EventType::kClone : EventType::kClone3, p);
        e.args.flags = 0x3d0f00;  // CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD...
        e.res = 0;
        m->events.push_back(e);
        break;
      }
      case kExit:
        m->events.push_back(base(EventType::kProcExit, execs[rng.below(n_benign_execs)]));
        break;
      case kFileOps: {
        ProcessInfo* p = rng.pick(busy);
        switch (rng.below(3)) {
          case 0: {
            Event e = base(EventType::kUnlinkat, p);
            e.args.path = str("/tmp/tmp" + std::to_string(rng.below(1000)));
            m->events.push_back(e);
            break;
          }
          case 1: {
            Event e = base(EventType::kRenameat2, p);
            e.args.path = "/var/lib/kubelet/cpu_manager_state.tmp";
            e.args.path2 = "/var/lib/kubelet/cpu_manager_state";
            m->events.push_back(e);
            break;
          }
          default: {
            Event e = base(EventType::kMkdirat, p);
            e.args.path = str("/tmp/cache-" + std::to_string(rng.below(1000)));
            e.args.mode = 0755;
            m->events.push_back(e);
          }
        }
        break;
      }
      case kLink: {
        ProcessInfo* p = rng.pick(busy);
        Event e = base(rng.below(2) ? EventType::kSymlinkat : EventType::kLinkat, p);
        e.args.path = "/usr/share/zoneinfo/UTC";
        e.args.path2 = "/etc/localtime";
        m->events.push_back(e);
        break;
      }
      case kPtrace: {
        Event e = base(EventType::kPtrace, admin_bash);
        e.args.request = 12;  // PTRACE_GETREGS (a debugger reading, not injecting)
        e.args.pid = 1000;
        m->events.push_back(e);
        break;
      }
      case kSetuid: {
        Event e = base(EventType::kSetuid, sshd_sess);
        e.args.uid = 1000;
        m->events.push_back(e);
        break;
      }
    }
  }
  (void)runc_child;
  return m;
}

}  // namespace riposte::detector::rules::testing
