#include "common/kube/kube_config.h"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <vector>

#include "common/kube/tls.h"

namespace riposte::kube {
namespace {

// Credentials and kubeconfigs are small; the limit keeps a wrong path (a device, a huge log)
// from being slurped into memory.
constexpr size_t kMaxFileBytes = 4 << 20;

Result<std::string> read_file(const std::string& path, std::string_view what) {
  std::string prefix = std::string(what) + " " + path + ": ";
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Error{prefix + "cannot read: " + std::strerror(errno)};
  std::string data;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && data.size() <= kMaxFileBytes) {
    data.append(buf, n);
  }
  bool failed = std::ferror(f) != 0;
  int err = errno;
  std::fclose(f);
  if (failed) return Error{prefix + "cannot read: " + std::strerror(err)};
  if (data.size() > kMaxFileBytes) return Error{prefix + "larger than 4 MiB"};
  return data;
}

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(s.find_last_not_of(ws) + 1);
  s.erase(0, s.find_first_not_of(ws));
  return s;
}

std::string resolve_path(const std::string& p, const std::string& relative_to_file) {
  if (p.empty() || p.front() == '/') return p;
  return (std::filesystem::path(relative_to_file).parent_path() / p).string();
}

Result<std::string> read_token(const std::string& path, std::string_view what) {
  auto text = read_file(path, what);
  if (!text) return text;
  std::string token = trim(std::move(*text));
  if (token.empty()) return Error{std::string(what) + " " + path + ": empty"};
  return token;
}

// An optional string field of a kubeconfig mapping; Error when present but not a scalar.
Result<std::string> scalar(const YAML::Node& map, const char* key, const std::string& where) {
  const YAML::Node v = map[key];
  if (!v || v.IsNull()) return std::string();
  if (!v.IsScalar()) return Error{where + ": \"" + key + "\" must be a string"};
  return v.Scalar();
}

// A kubeconfig entry and the file it came from (relative paths in it resolve against that).
struct Entry {
  YAML::Node body;
  std::string file;
};

struct Merged {
  std::string current_context;
  std::map<std::string, Entry> clusters, users, contexts;
};

Status merge_file(const std::string& file, Merged* m) {
  auto text = read_file(file, "kubeconfig");
  if (!text) return text.err();
  const std::string where = "kubeconfig " + file;
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return Error{where + ":" + std::to_string(e.mark.line + 1) + ":" +
                 std::to_string(e.mark.column + 1) + ": " + e.msg};
  }
  if (!root || root.IsNull()) return Status::Ok();  // kubectl treats an empty file as empty
  if (!root.IsMap()) return Error{where + ": not a YAML mapping"};
  auto current = scalar(root, "current-context", where);
  if (!current) return current.err();
  if (m->current_context.empty()) m->current_context = *current;

  struct List {
    const char* key;
    const char* item;
    std::map<std::string, Entry>* into;
  };
  for (const List& list :
       {List{"clusters", "cluster", &m->clusters}, List{"users", "user", &m->users},
        List{"contexts", "context", &m->contexts}}) {
    const YAML::Node seq = root[list.key];
    if (!seq || seq.IsNull()) continue;
    if (!seq.IsSequence()) return Error{where + ": \"" + list.key + "\" must be a list"};
    for (const YAML::Node& item : seq) {
      if (!item.IsMap()) return Error{where + ": \"" + list.key + "\" entries must be mappings"};
      auto name = scalar(item, "name", where);
      if (!name) return name.err();
      if (name->empty()) return Error{where + ": a \"" + list.key + "\" entry has no name"};
      const YAML::Node body = item[list.item];
      if (!body || !body.IsMap()) {
        return Error{where + ": " + list.item + " \"" + *name + "\" has no \"" + list.item +
                     "\" mapping"};
      }
      list.into->emplace(*name, Entry{body, file});  // emplace keeps the first definition
    }
  }
  return Status::Ok();
}

// Inline *-data (base64) wins over the file, as in kubectl.
Result<std::string> data_or_file(const Entry& e, const char* data_key, const char* file_key,
                                 const std::string& where) {
  auto data = scalar(e.body, data_key, where);
  if (!data) return data;
  if (!data->empty()) {
    auto decoded = base64_decode(*data);
    if (!decoded) return Error{where + ": \"" + data_key + "\": " + decoded.error()};
    return decoded;
  }
  auto file = scalar(e.body, file_key, where);
  if (!file) return file;
  if (file->empty()) return std::string();
  return read_file(resolve_path(*file, e.file), where + ": " + file_key);
}

std::string source_name(const Entry& e, const char* data_key, const char* file_key,
                        const std::string& where) {
  auto data = scalar(e.body, data_key, where);
  if (data && !data->empty()) return where + ": " + data_key;
  auto file = scalar(e.body, file_key, where);
  return where + ": " + file_key + " " + resolve_path(file ? *file : "", e.file);
}

Status apply_cluster(const Entry& e, const std::string& where, KubeConfig* cfg) {
  if (const YAML::Node skip = e.body["insecure-skip-tls-verify"]; skip && skip.IsScalar()) {
    bool on = false;
    if (!YAML::convert<bool>::decode(skip, on) || on) {
      return Error{where +
                   ": insecure-skip-tls-verify is refused: riposte always verifies the "
                   "API server's certificate"};
    }
  }
  for (const char* unsupported : {"tls-server-name", "proxy-url"}) {
    auto v = scalar(e.body, unsupported, where);
    if (!v) return v.err();
    if (!v->empty()) return Error{where + ": \"" + unsupported + "\" is not supported"};
  }
  auto server = scalar(e.body, "server", where);
  if (!server) return server.err();
  if (server->empty()) return Error{where + ": no \"server\""};
  if (auto url = parse_server_url(*server); !url) return Error{where + ": " + url.error()};
  cfg->server = *server;

  auto ca = data_or_file(e, "certificate-authority-data", "certificate-authority", where);
  if (!ca) return ca.err();
  if (ca->empty()) {
    return Error{where +
                 ": no certificate-authority or certificate-authority-data: the API "
                 "server's certificate cannot be verified"};
  }
  cfg->ca_origin = source_name(e, "certificate-authority-data", "certificate-authority", where);
  if (auto certs = tls::parse_certificates(*ca, cfg->ca_origin); !certs) {
    return certs.err();
  }
  cfg->ca_pem = std::move(*ca);
  return Status::Ok();
}

Status apply_client_cert(const Entry& e, const std::string& where, KubeConfig* cfg) {
  auto cert = data_or_file(e, "client-certificate-data", "client-certificate", where);
  if (!cert) return cert.err();
  auto key = data_or_file(e, "client-key-data", "client-key", where);
  if (!key) return key.err();
  if (cert->empty() != key->empty()) {
    return Error{where +
                 ": a client certificate needs both client-certificate(-data) and "
                 "client-key(-data)"};
  }
  if (cert->empty()) return Status::Ok();
  auto cert_what = source_name(e, "client-certificate-data", "client-certificate", where);
  auto certs = tls::parse_certificates(*cert, cert_what);
  if (!certs) return certs.err();
  auto pkey = tls::parse_private_key(*key, source_name(e, "client-key-data", "client-key", where));
  if (!pkey) return pkey.err();
  if (auto st = tls::check_key_matches(certs->front().get(), pkey->get(), cert_what); !st) {
    return st;
  }
  cfg->client_cert_pem = std::move(*cert);
  cfg->client_key_pem = std::move(*key);
  return Status::Ok();
}

Status apply_user(const Entry& e, const std::string& where, KubeConfig* cfg) {
  for (const char* unsupported : {"exec", "auth-provider", "username", "password"}) {
    if (e.body[unsupported]) {
      return Error{where + ": \"" + unsupported +
                   "\" is not supported; use token, tokenFile or a "
                   "client certificate"};
    }
  }
  auto token = scalar(e.body, "token", where);
  if (!token) return token.err();
  auto token_file = scalar(e.body, "tokenFile", where);
  if (!token_file) return token_file.err();
  if (!token->empty()) {
    cfg->token = *token;  // kubectl: token wins over tokenFile
  } else if (!token_file->empty()) {
    cfg->token_file = resolve_path(*token_file, e.file);
    if (auto t = read_token(cfg->token_file, where + ": tokenFile"); !t) return t.err();
  }
  return apply_client_cert(e, where, cfg);
}

Result<KubeConfig> build(const Merged& m, const std::string& wanted_context,
                         const std::string& desc) {
  const std::string ctx_name = wanted_context.empty() ? m.current_context : wanted_context;
  if (ctx_name.empty()) return Error{desc + ": no current-context set and no context given"};
  auto ctx = m.contexts.find(ctx_name);
  if (ctx == m.contexts.end()) return Error{desc + ": context \"" + ctx_name + "\" not found"};
  const std::string ctx_where = "kubeconfig " + ctx->second.file + ": context \"" + ctx_name + "\"";
  auto cluster_name = scalar(ctx->second.body, "cluster", ctx_where);
  if (!cluster_name) return cluster_name.err();
  auto user_name = scalar(ctx->second.body, "user", ctx_where);
  if (!user_name) return user_name.err();
  auto ns = scalar(ctx->second.body, "namespace", ctx_where);
  if (!ns) return ns.err();

  KubeConfig cfg;
  cfg.namespace_ = ns->empty() ? "default" : *ns;
  cfg.origin = desc + " (context " + ctx_name + ")";
  auto cluster = m.clusters.find(*cluster_name);
  if (cluster == m.clusters.end()) {
    return Error{ctx_where + ": cluster \"" + *cluster_name + "\" not found"};
  }
  std::string where = "kubeconfig " + cluster->second.file + ": cluster \"" + *cluster_name + "\"";
  if (auto st = apply_cluster(cluster->second, where, &cfg); !st) return st.err();
  if (user_name->empty()) return cfg;  // anonymous: allowed, the server decides
  auto user = m.users.find(*user_name);
  if (user == m.users.end()) return Error{ctx_where + ": user \"" + *user_name + "\" not found"};
  where = "kubeconfig " + user->second.file + ": user \"" + *user_name + "\"";
  if (auto st = apply_user(user->second, where, &cfg); !st) return st.err();
  return cfg;
}

std::vector<std::string> kubeconfig_files(const std::string& path) {
  if (!path.empty()) return {path};
  std::vector<std::string> files;
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    std::string_view list(env);
    while (!list.empty()) {
      size_t colon = list.find(':');
      std::string_view one = list.substr(0, colon);
      if (!one.empty()) files.emplace_back(one);
      list = colon == std::string_view::npos ? std::string_view() : list.substr(colon + 1);
    }
    if (!files.empty()) return files;
  }
  const char* home = std::getenv("HOME");
  return {std::string(home && *home ? home : "") + "/.kube/config"};
}

}  // namespace

Result<KubeConfig> load_kubeconfig(const std::string& path, const std::string& context) {
  const std::vector<std::string> files = kubeconfig_files(path);
  Merged merged;
  for (const auto& file : files) {
    // kubectl skips missing files in a $KUBECONFIG list, but not when there is only one.
    if (files.size() > 1 && !std::filesystem::exists(file)) continue;
    if (auto st = merge_file(file, &merged); !st) return st.err();
  }
  std::string desc = "kubeconfig " + files.front();
  for (size_t i = 1; i < files.size(); ++i) desc += ":" + files[i];
  return build(merged, context, desc);
}

Result<KubeConfig> load_in_cluster_config(const std::string& dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port) {
    return Error{
        "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be "
        "set (not running in a pod?)"};
  }
  const std::string h(host);
  KubeConfig cfg;
  cfg.server = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + port;
  if (auto url = parse_server_url(cfg.server); !url) {
    return Error{"in-cluster config: KUBERNETES_SERVICE_HOST/PORT: " + url.error()};
  }
  cfg.token_file = dir + "/token";
  if (auto t = read_token(cfg.token_file, "service account token"); !t) return t.err();
  cfg.ca_origin = "service account CA " + dir + "/ca.crt";
  auto ca = read_file(dir + "/ca.crt", "service account CA");
  if (!ca) return ca.err();
  if (auto certs = tls::parse_certificates(*ca, cfg.ca_origin); !certs) return certs.err();
  cfg.ca_pem = std::move(*ca);
  auto ns = read_file(dir + "/namespace", "service account namespace");
  cfg.namespace_ = ns ? trim(*ns) : "";
  if (cfg.namespace_.empty()) cfg.namespace_ = "default";
  cfg.origin = "in-cluster service account " + dir;
  return cfg;
}

Result<KubeConfig> load_config(const std::string& kubeconfig_path) {
  const char* env = std::getenv("KUBECONFIG");
  const char* service_host = std::getenv("KUBERNETES_SERVICE_HOST");
  if (kubeconfig_path.empty() && !(env && *env) && service_host && *service_host) {
    return load_in_cluster_config();
  }
  return load_kubeconfig(kubeconfig_path);
}

Result<ServerUrl> parse_server_url(std::string_view url) {
  const std::string bad = "server \"" + std::string(url.substr(0, 200)) + "\": ";
  constexpr std::string_view kScheme = "https://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Error{bad + "not an https:// URL (TLS is always required)"};
  }
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Error{bad + "must not have a query or fragment"};
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  ServerUrl out;
  if (slash != std::string_view::npos) out.path_prefix = std::string(rest.substr(slash));
  while (!out.path_prefix.empty() && out.path_prefix.back() == '/') out.path_prefix.pop_back();
  if (authority.find('@') != std::string_view::npos)
    return Error{bad + "must not hold credentials"};
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Error{bad + "unterminated IPv6 address"};
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return Error{bad + "junk after the IPv6 address"};
    if (!after.empty()) port = after.substr(1);
  } else {
    size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return Error{bad + "no host"};
  if (!port.empty() || authority.back() == ':') {
    int p = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || (p = p * 10 + (c - '0')) > 65535) return Error{bad + "bad port"};
    }
    if (port.empty() || p == 0) return Error{bad + "bad port"};
    out.port = p;
  }
  return out;
}

Result<std::string> base64_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0, chars = 0, padding = 0;
  for (char c : in) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      ++chars;
      continue;
    }
    int v = value(c);
    if (v < 0 || padding > 0) return Error{"not valid base64"};
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    ++chars;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (chars % 4 != 0 || padding > 2) return Error{"not valid base64 (bad length or padding)"};
  return out;
}

TokenSource::TokenSource(std::string token, std::string file)
    : token_(std::move(token)), file_(std::move(file)) {}

Result<std::string> TokenSource::get() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_.empty()) return token_;
  struct stat st {};
  // During a rotation the file may briefly be missing; the last token read is still valid.
  if (::stat(file_.c_str(), &st) != 0) {
    if (!token_.empty()) return token_;
    return Error{"token file " + file_ + ": " + std::strerror(errno)};
  }
  if (st.st_ino == ino_ && st.st_dev == dev_ && st.st_size == size_ &&
      st.st_mtim.tv_sec == mtime_.tv_sec && st.st_mtim.tv_nsec == mtime_.tv_nsec) {
    return token_;
  }
  auto token = read_token(file_, "token file");
  if (!token) {
    if (!token_.empty()) return token_;
    return token;
  }
  token_ = std::move(*token);
  ino_ = st.st_ino;
  dev_ = st.st_dev;
  size_ = st.st_size;
  mtime_ = st.st_mtim;
  return token_;
}

}  // namespace riposte::kube
