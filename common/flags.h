// A small declarative command-line parser, so every binary has a complete --help.
//
//   Flags f("riposte-detector", "Watches syscalls ...", "riposte-detector [flags]");
//   f.add_string("nats", &nats_url, "URL", "NATS server to publish alerts to");
//   auto r = f.parse(argc, argv);
//   if (!r) { fprintf(stderr, "%s\n", r.error().c_str()); return 2; }
//   if (!*r) { fputs(f.help().c_str(), stdout); return 0; }
//
// Defaults are whatever the bound variables hold when the flag is added; --help shows them.
// Accepts --name value and --name=value; booleans take --name, --name=true|false and --no-name.
// "--" ends the flags; everything after it is positional.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace riposte {

class Flags {
 public:
  Flags(std::string program, std::string description, std::string usage);

  void add_string(std::string name, std::string* target, std::string value_name, std::string help);
  void add_bool(std::string name, bool* target, std::string help);
  void add_int(std::string name, int* target, std::string value_name, std::string help);
  void add_int(std::string name, int64_t* target, std::string value_name, std::string help);
  // Repeatable: --rules a --rules b. The first occurrence replaces the default list.
  void add_list(std::string name, std::vector<std::string>* target, std::string value_name,
                std::string help);
  // Collects the arguments that are not flags; without it they are errors.
  void add_positional(std::string name, std::vector<std::string>* target, std::string help);

  // argv[0] is skipped. true: parsed; false: --help/-h was given (print help(), exit 0).
  // Errors are one line: "<program>: unknown flag --foo (see --help)".
  Result<bool> parse(int argc, char** argv);
  // For subcommands: args holds only the arguments (no program name).
  Result<bool> parse(const std::vector<std::string>& args);

  // Description, usage and every flag (sorted, with defaults), wrapped at 80 columns.
  std::string help() const;
  const std::string& program() const { return program_; }

 private:
  enum class Kind { kString, kBool, kInt, kInt64, kList };
  struct Flag {
    std::string name;
    Kind kind;
    void* target;
    std::string value_name;
    std::string help;
    std::string default_text;  // as shown in --help; empty: not shown
    bool seen = false;
  };

  Flag* find(const std::string& name);
  Error error(const std::string& what) const;
  Status set_value(Flag& flag, const std::string& value);
  void add(Flag flag);

  std::string program_;
  std::string description_;
  std::string usage_;
  std::vector<Flag> flags_;
  std::string positional_name_;
  std::string positional_help_;
  std::vector<std::string>* positional_ = nullptr;
};

}  // namespace riposte
