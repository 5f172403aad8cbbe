#include "detector/event/json_scan.h"

#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace riposte::detector {

namespace {

using nlohmann::json;

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHigh = 0x8080808080808080ULL;

// Bytes of an 8-byte word a string scan must stop at: '"', '\\', a control byte (< 0x20) or
// a non-ASCII one. Only the lowest flagged byte is exact (a borrow may flag bytes above it),
// which is all the scan uses.
inline uint64_t stops(uint64_t x) {
  uint64_t q = x ^ (kOnes * '"');
  uint64_t b = x ^ (kOnes * '\\');
  return (((q - kOnes) & ~q) | ((b - kOnes) & ~b) | ((x - kOnes * 0x20) & ~x) | x) & kHigh;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

size_t utf8_length(uint32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

JsonScanner::JsonScanner(std::string_view text, size_t max_depth) noexcept
    : p_(text.data()),
      end_(text.data() + text.size()),
      start_(text.data()),
      max_depth_(max_depth) {}

bool JsonScanner::begin() {
  if (p_ == start_ && p_ != end_ && static_cast<unsigned char>(*p_) == 0xEF) {
    // nlohmann skips a UTF-8 byte order mark, and refuses anything else starting with 0xEF.
    if (end_ - p_ < 3 || static_cast<unsigned char>(p_[1]) != 0xBB ||
        static_cast<unsigned char>(p_[2]) != 0xBF)
      return fail();
    p_ += 3;
  }
  return true;
}

bool JsonScanner::at_end() {
  whitespace();
  return p_ == end_;
}

// One UTF-8 sequence at p_ (its first byte >= 0x80), checked as nlohmann's lexer does
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
bool JsonScanner::utf8_sequence() {
  auto at = [&](size_t i) -> unsigned {
    return p_ + i < end_ ? static_cast<unsigned char>(p_[i]) : 0u;
  };
  auto in = [](unsigned b, unsigned lo, unsigned hi) { return b >= lo && b <= hi; };
  unsigned b0 = at(0);
  size_t n;
  if (in(b0, 0xC2, 0xDF)) {
    n = in(at(1), 0x80, 0xBF) ? 2 : 0;
  } else if (b0 == 0xE0) {
    n = in(at(1), 0xA0, 0xBF) && in(at(2), 0x80, 0xBF) ? 3 : 0;
  } else if (in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) {
    n = in(at(1), 0x80, 0xBF) && in(at(2), 0x80, 0xBF) ? 3 : 0;
  } else if (b0 == 0xED) {
    n = in(at(1), 0x80, 0x9F) && in(at(2), 0x80, 0xBF) ? 3 : 0;
  } else if (b0 == 0xF0) {
    n = in(at(1), 0x90, 0xBF) && in(at(2), 0x80, 0xBF) && in(at(3), 0x80, 0xBF) ? 4 : 0;
  } else if (in(b0, 0xF1, 0xF3)) {
    n = in(at(1), 0x80, 0xBF) && in(at(2), 0x80, 0xBF) && in(at(3), 0x80, 0xBF) ? 4 : 0;
  } else if (b0 == 0xF4) {
    n = in(at(1), 0x80, 0x8F) && in(at(2), 0x80, 0xBF) && in(at(3), 0x80, 0xBF) ? 4 : 0;
  } else {
    n = 0;
  }
  if (n == 0) return fail();
  p_ += n;
  return true;
}

// A backslash escape at p_ (on the '\\'), decoded onto *out when there is one.
bool JsonScanner::escape(std::string* out, size_t* len) {
  if (end_ - p_ < 2) return fail();
  char c = p_[1];
  char plain;
  switch (c) {
    case '"':
      plain = '"';
      break;
    case '\\':
      plain = '\\';
      break;
    case '/':
      plain = '/';
      break;
    case 'b':
      plain = '\b';
      break;
    case 'f':
      plain = '\f';
      break;
    case 'n':
      plain = '\n';
      break;
    case 'r':
      plain = '\r';
      break;
    case 't':
      plain = '\t';
      break;
    case 'u': {
      auto hex4 = [&](const char* q, uint32_t* v) {
        if (end_ - q < 4) return false;
        *v = 0;
        for (int i = 0; i < 4; ++i) {
          int d = hex_digit(q[i]);
          if (d < 0) return false;
          *v = *v * 16 + static_cast<uint32_t>(d);
        }
        return true;
      };
      uint32_t cp;
      if (!hex4(p_ + 2, &cp)) return fail();
      p_ += 6;
      if (cp >= 0xD800 && cp <= 0xDBFF) {  // a high surrogate: a low one must follow
        uint32_t lo;
        if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u' || !hex4(p_ + 2, &lo) || lo < 0xDC00 ||
            lo > 0xDFFF)
          return fail();
        p_ += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return fail();
      }
      *len += utf8_length(cp);
      if (out != nullptr) append_utf8(cp, out);
      return true;
    }
    default:
      return fail();
  }
  p_ += 2;
  *len += 1;
  if (out != nullptr) *out += plain;
  return true;
}

// After the opening quote: the string's content up to and past its closing quote.
bool JsonScanner::string_body(std::string* out, size_t* len) {
  const char* run = p_;  // start of the bytes not yet appended to *out
  auto flush = [&] {
    if (out != nullptr) out->append(run, static_cast<size_t>(p_ - run));
    *len += static_cast<size_t>(p_ - run);
  };
  for (;;) {
    if constexpr (std::endian::native == std::endian::little) {
      while (end_ - p_ >= 8) {
        uint64_t w;
        std::memcpy(&w, p_, 8);
        uint64_t m = stops(w);
        if (m != 0) {
          p_ += std::countr_zero(m) / 8;
          break;
        }
        p_ += 8;
      }
    }
    if (p_ == end_) return fail();
    unsigned char c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      flush();
      ++p_;
      return true;
    }
    if (c == '\\') {
      flush();
      if (!escape(out, len)) return false;
      run = p_;
    } else if (c < 0x20) {
      return fail();  // nlohmann: a control character must be escaped
    } else if (c >= 0x80) {
      if (!utf8_sequence()) return false;
    } else {
      ++p_;
    }
  }
}

bool JsonScanner::string(std::string* out, size_t* bytes) {
  if (!consume('"')) return fail();
  return string_body(out, bytes);
}

bool JsonScanner::literal(std::string_view word) {
  if (static_cast<size_t>(end_ - p_) < word.size()) return fail();
  for (size_t i = 0; i < word.size(); ++i)
    if (p_[i] != word[i]) return fail();
  p_ += word.size();
  return true;
}

// A number as RFC 8259 writes it; built as nlohmann does: an unsigned or signed integer when
// there is no fraction or exponent and it fits, else a double.
bool JsonScanner::number(json* out) {
  const char* from = p_;
  bool integral = true;
  if (p_ != end_ && *p_ == '-') ++p_;
  auto digit = [&] { return p_ != end_ && *p_ >= '0' && *p_ <= '9'; };
  if (!digit()) return fail();
  if (*p_ == '0') {
    ++p_;
  } else {
    while (digit()) ++p_;
  }
  if (p_ != end_ && *p_ == '.') {
    integral = false;
    ++p_;
    if (!digit()) return fail();
    while (digit()) ++p_;
  }
  if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
    integral = false;
    ++p_;
    if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
    if (!digit()) return fail();
    while (digit()) ++p_;
  }
  if (integral) {
    if (*from == '-') {
      int64_t v;
      auto r = std::from_chars(from, p_, v);
      if (r.ec == std::errc() && r.ptr == p_) {
        *out = v;
        return true;
      }
    } else {
      uint64_t v;
      auto r = std::from_chars(from, p_, v);
      if (r.ec == std::errc() && r.ptr == p_) {
        *out = v;
        return true;
      }
    }
  }
  // A fraction, an exponent or an integer too large: nlohmann's own conversion (strtod), so
  // the double is the very same; it refuses a number beyond a double's range (1e999).
  *out = json::parse(std::string_view(from, static_cast<size_t>(p_ - from)), nullptr,
                     /*allow_exceptions=*/false);
  return !out->is_discarded();
}

bool JsonScanner::skip(size_t depth, size_t* bytes) { return value<false>(depth, nullptr, bytes); }

bool JsonScanner::build(size_t depth, json* out, size_t* bytes) {
  return value<true>(depth, out, bytes);
}

// skip() and build() in one: kBuild says whether *out gets the value.
template <bool kBuild>
bool JsonScanner::value(size_t depth, json* out, size_t* bytes) {
  switch (peek()) {
    case '{': {
      if (depth + 1 > max_depth_) return fail();
      ++p_;
      if constexpr (kBuild) *out = json::object();
      if (consume('}')) return true;
      for (;;) {
        std::string key;
        size_t n = 0;
        if (!string(kBuild ? &key : nullptr, &n)) return false;
        *bytes += n + 4;
        json* slot = nullptr;
        // A repeated name: the last value wins (build overwrites), as in nlohmann's parser.
        if constexpr (kBuild)
          slot = &out->get_ref<json::object_t&>().try_emplace(std::move(key)).first->second;
        if (!consume(':') || !value<kBuild>(depth + 1, slot, bytes)) return fail();
        if (consume(',')) continue;
        return consume('}');
      }
    }
    case '[': {
      if (depth + 1 > max_depth_) return fail();
      ++p_;
      if constexpr (kBuild) *out = json::array();
      if (consume(']')) return true;
      for (;;) {
        json* slot = nullptr;
        if constexpr (kBuild) slot = &out->get_ref<json::array_t&>().emplace_back();
        if (!value<kBuild>(depth + 1, slot, bytes)) return false;
        if (consume(',')) continue;
        return consume(']');
      }
    }
    case '"': {
      ++p_;
      std::string s;
      size_t n = 0;
      if (!string_body(kBuild ? &s : nullptr, &n)) return false;
      *bytes += n + 2;
      if constexpr (kBuild) *out = std::move(s);
      return true;
    }
    case 't':
    case 'f':
    case 'n': {
      *bytes += 8;
      const bool t = *p_ == 't', f = *p_ == 'f';
      if constexpr (kBuild) *out = t ? json(true) : f ? json(false) : json(nullptr);
      return literal(t ? "true" : f ? "false" : "null");
    }
    default: {
      if (p_ == end_ || (*p_ != '-' && (*p_ < '0' || *p_ > '9'))) return fail();
      *bytes += 8;
      json n;  // a number is converted even when skipped: nlohmann refuses 1e999
      return number(kBuild ? out : &n);
    }
  }
}

}  // namespace riposte::detector
