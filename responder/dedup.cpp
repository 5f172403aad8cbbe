#include "responder/dedup.h"

#include <openssl/evp.h>

#include <cctype>

namespace riposte::responder {

std::string hash_key(std::initializer_list<std::string_view> parts) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (std::string_view p : parts) {
    EVP_DigestUpdate(ctx, p.data(), p.size());
    EVP_DigestUpdate(ctx, "", 1);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string_view strip_time_prefix(std::string_view output) {
  // HH:MM:SS[.fraction]: followed by a space
  auto digit = [&](size_t i) {
    return i < output.size() && std::isdigit(static_cast<unsigned char>(output[i]));
  };
  if (!(digit(0) && digit(1) && output.size() > 8 && output[2] == ':' && digit(3) && digit(4) &&
        output[5] == ':' && digit(6) && digit(7))) {
    return output;
  }
  size_t i = 8;
  if (i < output.size() && output[i] == '.') {
    ++i;
    while (digit(i)) ++i;
  }
  if (i + 1 < output.size() && output[i] == ':' && output[i + 1] == ' ') return output.substr(i + 2);
  return output;
}

std::string content_key(const Alert& alert) {
  return hash_key({"alert", alert.rule, strip_time_prefix(alert.output)});
}

std::string alert_id(const std::string& msg_id, const Alert& alert) {
  return msg_id.empty() ? content_key(alert) : msg_id;
}

}  // namespace riposte::responder
