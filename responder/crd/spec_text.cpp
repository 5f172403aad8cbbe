#include "responder/crd/spec_text.h"

#include <cstdio>
#include <string_view>

namespace riposte::responder::crd {
namespace {

bool plain_key(const std::string& k) {
  if (k.empty()) return false;
  for (char c : k) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

unsigned hex4(std::string_view s) {
  unsigned v = 0;
  for (char c : s) {
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return 0x10000;  // not hex
  }
  return v;
}

// ASCII only (escapes), so no character the YAML reader might count as a line break (NEL,
// U+2028) shifts the line map. JSON writes characters beyond the BMP as surrogate pairs
// ("\ud83d\ude00"), which YAML refuses: they become YAML's "\U0001f600".
std::string scalar(const nlohmann::json& v) {
  const std::string json =
      v.dump(-1, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    if (json[i] != '\\' || i + 1 >= json.size()) {
      out += json[i];
      continue;
    }
    const std::string_view rest = std::string_view(json).substr(i);
    if (rest.size() >= 12 && rest[1] == 'u' && rest[6] == '\\' && rest[7] == 'u') {
      const unsigned hi = hex4(rest.substr(2, 4)), lo = hex4(rest.substr(8, 4));
      if (hi >= 0xD800 && hi <= 0xDBFF && lo >= 0xDC00 && lo <= 0xDFFF) {
        char buf[11];
        std::snprintf(buf, sizeof buf, "\\U%08x", 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
        out += buf;
        i += 11;
        continue;
      }
    }
    out += json.substr(i, 2);  // any other escape, kept whole
    ++i;
  }
  return out;
}

class Writer {
 public:
  explicit Writer(SpecText* out) : out_(out) {}

  // Starts a line for the node at `path`; the caller writes the node.
  void line(const std::string& path) {
    if (!out_->yaml.empty()) out_->yaml += '\n';
    out_->line_paths.push_back(path);
  }

  void value(const nlohmann::json& v, const std::string& path) {
    if (v.is_object() && !v.empty()) {
      out_->yaml += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        const std::string child =
            plain_key(it.key()) ? path + "." + it.key() : path + "[" + scalar(it.key()) + "]";
        entry(&first, child);
        out_->yaml += scalar(it.key()) + ": ";
        value(it.value(), child);
      }
      close("}");
    } else if (v.is_array() && !v.empty()) {
      out_->yaml += '[';
      bool first = true;
      for (size_t i = 0; i < v.size(); ++i) {
        const std::string child = path + "[" + std::to_string(i) + "]";
        entry(&first, child);
        value(v[i], child);
      }
      close("]");
    } else {
      out_->yaml += scalar(v);  // also {} and []
    }
  }

  void entry(bool* first, const std::string& path) {
    if (!*first) out_->yaml += ',';
    *first = false;
    line(path);
  }

  void close(const char* bracket) {
    line("");
    out_->yaml += bracket;
  }

 private:
  SpecText* out_;
};

}  // namespace

std::string SpecText::path_at(int line) const {
  if (line >= 1 && static_cast<size_t>(line) <= line_paths.size() &&
      !line_paths[line - 1].empty()) {
    return line_paths[line - 1];
  }
  return "spec";
}

SpecText spec_text(const nlohmann::json& spec, const std::string& name) {
  SpecText out;
  Writer w(&out);
  w.line("spec");
  out.yaml += '{';
  w.line("metadata.name");
  out.yaml += "\"name\": " + scalar(name);
  if (spec.is_object()) {
    for (auto it = spec.begin(); it != spec.end(); ++it) {
      const std::string child = "spec." + it.key();
      out.yaml += ',';
      w.line(child);
      out.yaml += scalar(it.key()) + ": ";
      w.value(it.value(), child);
    }
  }
  w.close("}");
  return out;
}

}  // namespace riposte::responder::crd
