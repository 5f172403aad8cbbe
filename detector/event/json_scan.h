// A JSON scanner for webhook bodies that accepts what nlohmann::json::parse accepts (RFC 8259
// with UTF-8 checked, a leading byte order mark; input nlohmann ends at a NUL byte is refused
// here) and, per value, either skips it or builds it as nlohmann would. The EventList parser
// uses it to look at a body once: the members the rules read on every event are built,
// requestObject, responseObject and other objects (most of an event's bytes, read by few
// rules) are only checked and kept as text until a rule asks for them (AuditEvent::member).
//
// Any refusal here (bad syntax, nesting deeper than the limit) makes the caller hand the body
// to the full parser, which names the reason: the scanner decides speed, never the verdict.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace riposte::detector {

class JsonScanner {
 public:
  // Values nested deeper than max_depth (arrays and objects, as nesting_depth counts them)
  // are refused.
  JsonScanner(std::string_view text, size_t max_depth) noexcept;

  // At the start of the text: skips a byte order mark. false: a broken one.
  bool begin();
  // Whitespace, then the next byte ('\0' at the end of the text).
  char peek() {
    whitespace();
    return p_ == end_ ? '\0' : *p_;
  }
  // Whitespace, then consumes `c` when it is next.
  bool consume(char c) {
    whitespace();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  // A string (a member name or value) decoded into *out; *bytes += its decoded length.
  bool string(std::string* out, size_t* bytes);
  // The value here, checked and passed. `depth` is the nesting of its container (the body's
  // value has 0). *bytes += the value's size as event_list's byte limit counts it: decoded
  // strings + 2, member names + 4, 8 for any other scalar.
  bool skip(size_t depth, size_t* bytes);
  // The same, building the value into *out as nlohmann::json::parse would.
  bool build(size_t depth, nlohmann::json* out, size_t* bytes);
  // After the body's value: only whitespace is left. (nlohmann also stops at a NUL byte, but
  // the too_deep check before it reads on: such a body is left to the full parser.)
  bool at_end();

  // Where the scanner is (after whitespace when peek() was the last call).
  const char* pos() const { return p_; }

 private:
  bool fail() { return false; }
  void whitespace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool string_body(std::string* out, size_t* len);
  bool escape(std::string* out, size_t* len);
  bool utf8_sequence();
  bool literal(std::string_view word);
  bool number(nlohmann::json* out);
  template <bool kBuild>
  bool value(size_t depth, nlohmann::json* out, size_t* bytes);

  const char* p_;
  const char* end_;
  const char* start_;
  size_t max_depth_;
};

}  // namespace riposte::detector
