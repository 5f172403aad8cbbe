// The address and time helpers of fields.h that the operators and output rendering share:
// errno names, Falco's evt.time text, IP text and parsing, CIDR networks.
#include <arpa/inet.h>
#include <string.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "detector/rules/fields.h"

namespace riposte::detector::rules {

std::string_view errno_name(int64_t err) {
  if (err <= 0 || err > 4096) return {};
  const char* n = strerrorname_np(static_cast<int>(err));
  return n != nullptr ? std::string_view(n) : std::string_view();
}

void format_time_hms(uint64_t ts_ns, std::string* out) {
  std::time_t secs = static_cast<std::time_t>(ts_ns / 1000000000ull);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%09llu", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned long long>(ts_ns % 1000000000ull));
  *out += buf;
}

void format_ip(const IpAddr& ip, std::string* out) {
  char buf[INET6_ADDRSTRLEN];
  if (ip.family == 4) {
    inet_ntop(AF_INET, ip.bytes.data(), buf, sizeof buf);
  } else if (ip.family == 6) {
    inet_ntop(AF_INET6, ip.bytes.data(), buf, sizeof buf);
  } else {
    return;
  }
  *out += buf;
}

bool parse_ip(std::string_view s, IpAddr* out) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (s.empty() || s.size() >= sizeof buf) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  IpAddr a;
  if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) {
    a.family = 4;
  } else if (inet_pton(AF_INET6, buf, a.bytes.data()) == 1) {
    a.family = 6;
  } else {
    return false;
  }
  *out = a;
  return true;
}

bool parse_cidr(std::string_view s, IpNet* out) {
  size_t slash = s.find('/');
  IpNet n;
  if (!parse_ip(s.substr(0, slash), &n.addr)) return false;
  uint8_t max = n.addr.family == 4 ? 32 : 128;
  if (slash == std::string_view::npos) {
    n.prefix = max;
  } else {
    std::string_view p = s.substr(slash + 1);
    unsigned v = 0;
    auto r = std::from_chars(p.data(), p.data() + p.size(), v);
    if (r.ec != std::errc() || r.ptr != p.data() + p.size() || v > max) return false;
    n.prefix = static_cast<uint8_t>(v);
  }
  *out = n;
  return true;
}

bool ip_in_net(const IpAddr& ip, const IpNet& net) {
  if (ip.family != net.addr.family) return false;
  unsigned bits = net.prefix;
  for (size_t i = 0; bits > 0; ++i) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((ip.bytes[i] & mask) != (net.addr.bytes[i] & mask)) return false;
    bits = bits >= 8 ? bits - 8 : 0;
  }
  return true;
}

}  // namespace riposte::detector::rules
