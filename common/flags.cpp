#include "common/flags.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace riposte {
namespace {

constexpr size_t kWidth = 80;

// Greedy word wrap; explicit newlines in text start new lines (paragraphs survive).
std::string wrap(const std::string& text, size_t indent) {
  std::string out;
  const std::string pad(indent, ' ');
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(start, nl - start);
    std::string current;
    size_t pos = 0;
    bool any = false;
    while (pos < line.size()) {
      while (pos < line.size() && line[pos] == ' ') ++pos;
      if (pos >= line.size()) break;
      size_t end = line.find(' ', pos);
      if (end == std::string::npos) end = line.size();
      const std::string word = line.substr(pos, end - pos);
      pos = end;
      if (!current.empty() && indent + current.size() + 1 + word.size() > kWidth) {
        out += pad + current + "\n";
        current.clear();
      }
      current += (current.empty() ? "" : " ") + word;
      any = true;
    }
    if (any) {
      out += pad + current + "\n";
    } else {
      out += "\n";
    }
    start = nl + 1;
  }
  return out;
}

std::string quote(const std::string& s) { return "\"" + s + "\""; }

template <typename T>
bool parse_integer(const std::string& s, T* out) {
  if (s.empty()) return false;
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (*first == '+') ++first;
  auto [ptr, ec] = std::from_chars(first, last, *out);
  return ec == std::errc() && ptr == last;
}

}  // namespace

Flags::Flags(std::string program, std::string description, std::string usage)
    : program_(std::move(program)),
      description_(std::move(description)),
      usage_(std::move(usage)) {}

void Flags::add(Flag flag) {
  // A later registration of the same name replaces the earlier one rather than shadowing it
  // silently in --help.
  flags_.erase(std::remove_if(flags_.begin(), flags_.end(),
                              [&](const Flag& f) { return f.name == flag.name; }),
               flags_.end());
  flags_.push_back(std::move(flag));
}

void Flags::add_string(std::string name, std::string* target, std::string value_name,
                       std::string help) {
  add({std::move(name), Kind::kString, target, std::move(value_name), std::move(help),
       target->empty() ? "" : quote(*target)});
}

void Flags::add_bool(std::string name, bool* target, std::string help) {
  add({std::move(name), Kind::kBool, target, "", std::move(help), *target ? "true" : ""});
}

void Flags::add_int(std::string name, int* target, std::string value_name, std::string help) {
  add({std::move(name), Kind::kInt, target, std::move(value_name), std::move(help),
       std::to_string(*target)});
}

void Flags::add_int(std::string name, int64_t* target, std::string value_name, std::string help) {
  add({std::move(name), Kind::kInt64, target, std::move(value_name), std::move(help),
       std::to_string(*target)});
}

void Flags::add_list(std::string name, std::vector<std::string>* target, std::string value_name,
                     std::string help) {
  std::string def;
  for (const auto& v : *target) def += (def.empty() ? "" : ", ") + quote(v);
  add({std::move(name), Kind::kList, target, std::move(value_name), std::move(help), def});
}

void Flags::add_positional(std::string name, std::vector<std::string>* target, std::string help) {
  positional_name_ = std::move(name);
  positional_help_ = std::move(help);
  positional_ = target;
}

Flags::Flag* Flags::find(const std::string& name) {
  for (auto& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Error Flags::error(const std::string& what) const {
  return Error{program_ + ": " + what + " (see --help)"};
}

Status Flags::set_value(Flag& flag, const std::string& value) {
  switch (flag.kind) {
    case Kind::kString:
      *static_cast<std::string*>(flag.target) = value;
      break;
    case Kind::kBool:
      if (value == "true" || value == "1" || value == "yes") {
        *static_cast<bool*>(flag.target) = true;
      } else if (value == "false" || value == "0" || value == "no") {
        *static_cast<bool*>(flag.target) = false;
      } else {
        return error("flag --" + flag.name + ": " + quote(value) +
                     " is not a boolean (true or false)");
      }
      break;
    case Kind::kInt: {
      int v = 0;
      if (!parse_integer(value, &v))
        return error("flag --" + flag.name + ": " + quote(value) + " is not an integer");
      *static_cast<int*>(flag.target) = v;
      break;
    }
    case Kind::kInt64: {
      int64_t v = 0;
      if (!parse_integer(value, &v))
        return error("flag --" + flag.name + ": " + quote(value) + " is not an integer");
      *static_cast<int64_t*>(flag.target) = v;
      break;
    }
    case Kind::kList: {
      auto* list = static_cast<std::vector<std::string>*>(flag.target);
      if (!flag.seen) list->clear();  // the first use replaces the default
      list->push_back(value);
      break;
    }
  }
  flag.seen = true;
  return {};
}

Result<bool> Flags::parse(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return parse(args);
}

Result<bool> Flags::parse(const std::vector<std::string>& args) {
  for (auto& f : flags_) f.seen = false;
  bool help_requested = false;
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (only_positional || arg.size() < 2 || arg[0] != '-') {
      if (positional_ == nullptr) return error("unexpected argument " + quote(arg));
      positional_->push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      // Keep going: a later typo should still be reported rather than hidden by --help.
      help_requested = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) return error("unknown flag " + arg);

    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    Flag* flag = find(name);
    if (flag == nullptr && !has_value && name.rfind("no-", 0) == 0) {
      Flag* negated = find(name.substr(3));
      if (negated != nullptr && negated->kind == Kind::kBool) {
        *static_cast<bool*>(negated->target) = false;
        negated->seen = true;
        continue;
      }
    }
    if (flag == nullptr) return error("unknown flag --" + name);
    if (flag->kind == Kind::kBool) {
      // Booleans never take the next argument: "--verbose file" must not eat "file".
      if (auto st = set_value(*flag, has_value ? value : "true"); !st) return st.err();
      continue;
    }
    if (!has_value) {
      // "--nats --other" is a forgotten value, not a URL named "--other".
      if (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0) {
        return error("flag --" + name + " needs a value" +
                     (flag->value_name.empty() ? "" : " (" + flag->value_name + ")"));
      }
      value = args[++i];
    }
    if (auto st = set_value(*flag, value); !st) return st.err();
  }
  return !help_requested;
}

std::string Flags::help() const {
  std::string out;
  out += wrap(program_ + ": " + description_, 0);
  out += "\nUsage:\n" + wrap(usage_, 2);

  std::vector<const Flag*> sorted;
  for (const auto& f : flags_) sorted.push_back(&f);
  std::sort(sorted.begin(), sorted.end(),
            [](const Flag* a, const Flag* b) { return a->name < b->name; });

  out += "\nFlags:\n";
  bool help_listed = false;
  auto emit_help_flag = [&] {
    out += "  -h, --help\n" + wrap("Show this help and exit.", 8);
    help_listed = true;
  };
  for (const Flag* f : sorted) {
    if (!help_listed && f->name > "help") emit_help_flag();
    std::string head = "  --" + f->name;
    if (f->kind != Kind::kBool)
      head += " " + (f->value_name.empty() ? std::string("VALUE") : f->value_name);
    if (f->kind == Kind::kList) head += " (repeatable)";
    out += head + "\n";
    std::string text = f->help;
    if (!f->default_text.empty())
      text += (text.empty() ? "" : " ") + std::string("(default ") + f->default_text + ")";
    if (!text.empty()) out += wrap(text, 8);
  }
  if (!help_listed) emit_help_flag();

  if (positional_ != nullptr) {
    out += "\nArguments:\n  " + positional_name_ + "\n";
    if (!positional_help_.empty()) out += wrap(positional_help_, 8);
  }
  return out;
}

}  // namespace riposte
