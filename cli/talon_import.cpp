#include "cli/talon_import.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>

namespace riposte::cli {
namespace {

// A scalar setting with where it was written.
struct Field {
  std::string value;
  std::string pos;
};

struct Action {
  std::string name, pos;
  std::optional<Field> actionner, cont, ignore_errors;
  std::string description;
  YAML::Node params;                             // a map (cloned), or null
  std::map<std::string, std::string> param_pos;  // parameter -> where it was set
  std::optional<Field> output;                   // output.target
  std::vector<Field> contexts;                   // additional_contexts
};

struct Rule {
  std::string name, pos, description;
  std::optional<Field> cont, dry_run, priority, source;
  std::vector<Field> rules, tags, output_fields, notifiers;
  std::vector<Action> actions;
};

std::string position(const std::string& file, const YAML::Mark& m) {
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  return out;
}

std::string slug(const std::string& s, size_t max) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      out += static_cast<char>(std::tolower(u));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > max) out.resize(max);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

// Reads Talon's files into merged actions and rules, as Talon does (a later item with the same
// name is merged into the first).
class Reader {
 public:
  Status read(const std::string& file, const std::string& text) {
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAll(text);
    } catch (const YAML::Exception& e) {
      return Error{position(file, e.mark) + ": " + e.msg};
    }
    for (const YAML::Node& doc : docs) {
      if (doc.IsNull()) continue;
      if (!doc.IsSequence()) {
        return Error{position(file, doc.Mark()) +
                     ": a Talon rules file is a list of rules and actions"};
      }
      for (const YAML::Node& item : doc) {
        if (!item.IsMap()) {
          return Error{position(file, item.Mark()) +
                       ": expected a rule (- rule: ...) or an action (- action: ...)"};
        }
        if (item["rule"]) {
          rule(file, item);
        } else if (item["action"]) {
          definition(file, item);
        } else {
          return Error{position(file, item.Mark()) + ": neither a rule nor an action"};
        }
      }
    }
    return {};
  }

  // The rules with each action completed from its definition (Talon's ParseRules).
  std::vector<Rule> rules() const {
    std::vector<Rule> out = rules_;
    for (Rule& r : out) {
      for (Action& a : r.actions) {
        auto def = std::find_if(defs_.begin(), defs_.end(),
                                [&](const Action& d) { return d.name == a.name; });
        if (def == defs_.end()) continue;
        if (!a.actionner) a.actionner = def->actionner;
        if (a.description.empty()) a.description = def->description;
        if (!a.ignore_errors) a.ignore_errors = def->ignore_errors;
        if (!a.cont) a.cont = def->cont;
        if (a.contexts.empty()) a.contexts = def->contexts;
        if (!a.output) a.output = def->output;
        // A definition's list is put before the rule's; its map entries win; the rule's own
        // scalar wins.
        merge_params(&a, *def, /*later_wins=*/false);
      }
    }
    return out;
  }

 private:
  static std::optional<Field> field(const std::string& file, const YAML::Node& map,
                                    const char* key) {
    const YAML::Node v = map[key];
    if (!v || !v.IsScalar()) return std::nullopt;
    return Field{v.Scalar(), position(file, v.Mark())};
  }
  static std::vector<Field> fields(const std::string& file, const YAML::Node& list) {
    std::vector<Field> out;
    if (list && list.IsScalar()) out.push_back({list.Scalar(), position(file, list.Mark())});
    if (list && list.IsSequence()) {
      for (const YAML::Node& v : list) {
        if (v.IsScalar()) out.push_back({v.Scalar(), position(file, v.Mark())});
      }
    }
    return out;
  }

  static Action action(const std::string& file, const YAML::Node& n) {
    Action a;
    a.name = n["action"].IsScalar() ? n["action"].Scalar() : "";
    a.pos = position(file, n.Mark());
    a.actionner = field(file, n, "actionner");
    a.cont = field(file, n, "continue");
    a.ignore_errors = field(file, n, "ignore_errors");
    if (auto d = field(file, n, "description")) a.description = d->value;
    if (n["parameters"] && n["parameters"].IsMap()) {
      a.params = YAML::Clone(n["parameters"]);
      for (const auto& kv : n["parameters"]) {
        a.param_pos[kv.first.Scalar()] = position(file, kv.first.Mark());
      }
    }
    if (n["output"]) {
      const YAML::Node t = n["output"]["target"];
      a.output = Field{t && t.IsScalar() ? t.Scalar() : "", position(file, n["output"].Mark())};
    }
    a.contexts = fields(file, n["additional_contexts"]);
    return a;
  }

  static void merge_params(Action* into, const Action& from, bool later_wins) {
    if (!from.params) return;
    if (!into->params) into->params = YAML::Node(YAML::NodeType::Map);
    for (const auto& kv : from.params) {
      const std::string key = kv.first.Scalar();
      const YAML::Node mine = into->params[key];
      if (!mine || mine.IsNull()) {
        into->params[key] = YAML::Clone(kv.second);
        into->param_pos[key] = from.param_pos.at(key);
      } else if (mine.IsSequence() && kv.second.IsSequence()) {
        YAML::Node joined(YAML::NodeType::Sequence);
        const YAML::Node& first = later_wins ? mine : kv.second;
        const YAML::Node& second = later_wins ? kv.second : mine;
        for (const auto& v : first) joined.push_back(YAML::Clone(v));
        for (const auto& v : second) joined.push_back(YAML::Clone(v));
        into->params[key] = joined;
      } else if (mine.IsMap() && kv.second.IsMap()) {
        YAML::Node m = into->params[key];
        for (const auto& e : kv.second) m[e.first.Scalar()] = YAML::Clone(e.second);
      } else if (mine.Type() == kv.second.Type() && later_wins) {
        into->params[key] = YAML::Clone(kv.second);
        into->param_pos[key] = from.param_pos.at(key);
      }
    }
  }

  void definition(const std::string& file, const YAML::Node& n) {
    Action a = action(file, n);
    auto it =
        std::find_if(defs_.begin(), defs_.end(), [&](const Action& d) { return d.name == a.name; });
    if (it == defs_.end()) {
      defs_.push_back(std::move(a));
      return;
    }
    // An override: its settings replace, its parameters merge (Talon's extractActionsRules).
    if (a.actionner) it->actionner = a.actionner;
    if (a.cont) it->cont = a.cont;
    if (a.ignore_errors) it->ignore_errors = a.ignore_errors;
    if (!a.description.empty()) it->description = a.description;
    if (!it->output && a.output) it->output = a.output;
    it->contexts.insert(it->contexts.end(), a.contexts.begin(), a.contexts.end());
    merge_params(&*it, a, /*later_wins=*/true);
  }

  void rule(const std::string& file, const YAML::Node& n) {
    Rule r;
    r.name = n["rule"].IsScalar() ? n["rule"].Scalar() : "";
    r.pos = position(file, n.Mark());
    if (auto d = field(file, n, "description")) r.description = trim(d->value);
    r.cont = field(file, n, "continue");
    r.dry_run = field(file, n, "dry_run");
    r.notifiers = fields(file, n["notifiers"]);
    if (const YAML::Node m = n["match"]; m && m.IsMap()) {
      r.rules = fields(file, m["rules"]);
      r.priority = field(file, m, "priority");
      r.source = field(file, m, "source");
      r.tags = fields(file, m["tags"]);
      r.output_fields = fields(file, m["output_fields"]);
    }
    if (const YAML::Node as = n["actions"]; as && as.IsSequence()) {
      for (const YAML::Node& a : as) {
        if (a.IsMap()) r.actions.push_back(action(file, a));
      }
    }
    auto it =
        std::find_if(rules_.begin(), rules_.end(), [&](const Rule& x) { return x.name == r.name; });
    if (it == rules_.end()) {
      rules_.push_back(std::move(r));
      return;
    }
    auto append = [](std::vector<Field>& to, const std::vector<Field>& from) {
      to.insert(to.end(), from.begin(), from.end());
    };
    if (r.cont) it->cont = r.cont;
    if (r.dry_run) it->dry_run = r.dry_run;
    if (!r.description.empty()) it->description = r.description;
    append(it->notifiers, r.notifiers);
    append(it->output_fields, r.output_fields);
    append(it->rules, r.rules);
    append(it->tags, r.tags);
    // As Talon: replaced, even by nothing.
    for (auto [mine, theirs, key] : {std::tuple{&it->priority, &r.priority, "priority"},
                                     std::tuple{&it->source, &r.source, "source"}}) {
      if (*mine && !*theirs) {
        cleared_.push_back({r.pos,
                            std::string("as in Talon, the override of rule \"") + r.name +
                                "\" has no match." + key + ", which clears " + (*mine)->pos + "'s",
                            true});
      }
      *mine = *theirs;
    }
    it->actions.insert(it->actions.end(), r.actions.begin(), r.actions.end());
  }

  std::vector<Action> defs_;
  std::vector<Rule> rules_;

 public:
  std::vector<TalonNote> cleared_;  // remarks on overrides that clear a match key
};

// Translates one rule at a time, counting constructs and collecting notes.
class Translator {
 public:
  explicit Translator(TalonImport* out) : out_(out) {}

  void rule(const Rule& r) {
    const size_t notes_before = out_->notes.size();
    const int untranslated_before = out_->constructs - out_->translated;
    YAML::Node pb(YAML::NodeType::Map);
    const std::string base = slug(r.name, 200).empty() ? "talon-rule" : slug(r.name, 200);
    std::string name = base;
    for (int i = 2; !names_.insert(name).second; ++i) name = base + "-" + std::to_string(i);
    pb["name"] = name;
    pb["description"] =
        r.description.empty() ? "Falco Talon rule \"" + r.name + "\"" : r.description;
    bool dry_run = false;
    if (r.dry_run) dry_run = setting(*r.dry_run, "dry_run");
    if (r.cont && !setting(*r.cont, "continue")) pb["stop"] = true;
    for (const Field& n : r.notifiers) {
      no(n.pos, "notifier \"" + n.value +
                    "\": riposte notifies with a notify.webhook step; its audit records are in "
                    "RIPOSTE_ACTIONS");
    }
    pb["match"] = match(r);
    YAML::Node steps(YAML::NodeType::Sequence);
    std::set<std::string> step_names;
    for (size_t i = 0; i < r.actions.size(); ++i) {
      const Action& a = r.actions[i];
      if (auto s = step(a, &step_names)) steps.push_back(*s);
      if (!continues(a) && i + 1 < r.actions.size()) {
        remark(r.actions[i + 1].pos,
               "Talon never runs the actions after \"" + a.name + "\" (continue: false" +
                   (a.cont ? "" : ", the default of " + actionner(a)) + "): left out");
        break;
      }
    }
    const bool untranslated = out_->constructs - out_->translated > untranslated_before;
    if (steps.size() == 0) {
      out_->notes.push_back(
          {r.pos, "rule \"" + r.name + "\": no action could be translated, so no playbook", false});
      return;
    }
    if (untranslated && !dry_run) {
      dry_run = true;
      remark(r.pos, "rule \"" + r.name +
                        "\" imported with dry_run: true because of what was not translated; "
                        "review it, then remove dry_run");
    }
    if (dry_run) pb["dry_run"] = true;
    pb["steps"] = steps;
    std::string text = "---\n# Falco Talon rule \"" + r.name + "\" (" + r.pos + ")\n";
    for (size_t i = notes_before; i < out_->notes.size(); ++i) {
      text += "# " + out_->notes[i].str() + "\n";
    }
    YAML::Emitter e;
    e << pb;
    text += std::string(e.c_str()) + "\n";
    out_->yaml += text;
    ++out_->playbooks;
  }

 private:
  void ok() {
    ++out_->constructs;
    ++out_->translated;
  }
  void no(const std::string& pos, std::string why) {
    ++out_->constructs;
    out_->notes.push_back({pos, std::move(why), false});
  }
  void remark(const std::string& pos, std::string what) {
    out_->notes.push_back({pos, std::move(what), true});
  }
  // Talon's true/false settings ("continue", "dry_run", "ignore_errors").
  bool setting(const Field& f, const std::string& what) {
    if (f.value == "true" || f.value == "false") {
      ok();
      return f.value == "true";
    }
    no(f.pos, "\"" + what + "\" must be true or false (Talon refuses the rule)");
    return false;
  }

  static std::string actionner(const Action& a) { return a.actionner ? a.actionner->value : ""; }
  // Talon's default `continue` of an actionner: false only for terminate and delete.
  static bool continues(const Action& a) {
    if (a.cont && (a.cont->value == "true" || a.cont->value == "false"))
      return a.cont->value == "true";
    const std::string n = actionner(a);
    return n != "kubernetes:terminate" && n != "kubernetes:delete";
  }

  YAML::Node match(const Rule& r) {
    YAML::Node m(YAML::NodeType::Map);
    YAML::Node names(YAML::NodeType::Sequence);
    for (const Field& f : r.rules) {
      if (f.value.find_first_of("*?") != std::string::npos) {
        no(f.pos, "rule name \"" + f.value +
                      "\" holds * or ?, which riposte reads as a glob (Talon compares exactly)");
      } else {
        ok();
      }
      names.push_back(f.value);
    }
    if (names.size() == 0) names.push_back("*");  // Talon: no rules = every rule
    m["rules"] = names;
    if (r.priority && !r.priority->value.empty()) {
      if (auto p = priority(r.priority->value)) {
        ok();
        m["priority"] = *p;
      } else {
        no(r.priority->pos, "priority \"" + r.priority->value + "\" is not one Talon accepts");
      }
    }
    if (r.source && !r.source->value.empty()) {
      ok();
      m["source"] = r.source->value;
    }
    if (!r.tags.empty()) {
      YAML::Node sets(YAML::NodeType::Sequence);
      for (const Field& f : r.tags) {
        YAML::Node set(YAML::NodeType::Sequence);
        for (const std::string& t : split(f.value, ',')) {
          if (!t.empty()) set.push_back(t);
        }
        sets.push_back(set);
        ok();
      }
      m["tags"] = sets;
    }
    if (r.output_fields.size() == 1) {
      if (auto f = output_fields(r.output_fields[0])) {
        ok();
        m["output_fields"] = *f;
      }
    } else if (r.output_fields.size() > 1) {
      // Alternatives: one playbook says "all of these"; several would act twice on an alert
      // that satisfies two of them.
      for (const Field& f : r.output_fields) {
        no(f.pos, "output_fields item \"" + f.value +
                      "\": Talon's items are alternatives (any one), riposte's output_fields "
                      "must all hold: split the Talon rule into one rule per item");
      }
    }
    return m;
  }

  // Talon: "Critical" is exactly Critical; riposte's bare priority means "at least".
  static std::optional<std::string> priority(const std::string& text) {
    size_t i = 0;
    std::string op;
    if (i < text.size() && (text[i] == '<' || text[i] == '>')) op += text[i++];
    if (i < text.size() && text[i] == '=') op += text[i++];
    std::string p = text.substr(i);
    static const std::vector<std::string> kNames = {
        "Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"};
    for (const std::string& n : kNames) {
      if (std::equal(n.begin(), n.end(), p.begin(), p.end(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        return (op.empty() ? "=" : op) + n;
      }
    }
    return std::nullopt;
  }

  // One Talon item "k=v, k2!=v2, ..." (as Talon splits it: values hold no ',' '=' or '!').
  std::optional<YAML::Node> output_fields(const Field& f) {
    std::map<std::string, std::vector<std::string>> equals, differs;
    std::vector<std::string> order;
    for (const std::string& test : split(f.value, ',')) {
      const size_t ne = test.find("!=");
      const size_t eq = test.find('=');
      const bool negated = ne != std::string::npos;
      const size_t at = negated ? ne : eq;
      if (at == std::string::npos) {
        no(f.pos, "output_fields test \"" + test + "\" has no = or !=");
        return std::nullopt;
      }
      const std::string key = trim(test.substr(0, at));
      std::string value = trim(test.substr(at + (negated ? 2 : 1)));
      value.erase(std::remove(value.begin(), value.end(), '"'), value.end());
      if (key.empty()) {
        no(f.pos, "output_fields test \"" + test + "\" has no field name");
        return std::nullopt;
      }
      if (value.find_first_of("=!") != std::string::npos) {
        // Talon splits the test on them and drops it when that gives more than two parts.
        no(f.pos, "output_fields test \"" + test +
                      "\": Talon ignores a test whose value holds = or !, so it is left out");
        continue;
      }
      if (!equals.count(key) && !differs.count(key)) order.push_back(key);
      (negated ? differs : equals)[key].push_back(value);
    }
    if (order.empty()) return std::nullopt;  // every test was left out (and said)
    YAML::Node out(YAML::NodeType::Map);
    for (const std::string& key : order) {
      const auto& eq = equals[key];
      const auto& ne = differs[key];
      if (!eq.empty()) {
        const bool contradicts =
            std::any_of(eq.begin(), eq.end(), [&](const std::string& v) { return v != eq[0]; }) ||
            std::find(ne.begin(), ne.end(), eq[0]) != ne.end();
        if (contradicts) {
          no(f.pos, "output_fields item \"" + f.value + "\" can never hold (" + key +
                        " tested against contradicting values)");
          return std::nullopt;
        }
        out[key] = eq[0];  // any != on the same key is implied
      } else if (ne.size() == 1) {
        YAML::Node t(YAML::NodeType::Map);
        t["!="] = ne[0];
        out[key] = t;
      } else {
        YAML::Node t(YAML::NodeType::Map);
        YAML::Node values(YAML::NodeType::Sequence);
        for (const auto& v : ne) values.push_back(v);
        t["not_in"] = values;
        out[key] = t;
      }
    }
    return out;
  }

  // A parameter's translation: sets params (or the step), or returns why it cannot.
  using ParamRule = std::function<std::optional<std::string>(const YAML::Node& value,
                                                             YAML::Node& params, YAML::Node& step)>;
  struct Target {
    std::string action;
    std::map<std::string, ParamRule> params;
    std::string difference;  // a remark when riposte's action does more or less than Talon's
    std::string required{};  // a parameter the action cannot do without ("" for none)
  };

  static bool is_true(const YAML::Node& v) {
    bool b = false;
    return v.IsScalar() && YAML::convert<bool>::decode(v, b) && b;
  }
  static std::optional<std::string> copy_to(const std::string& key, const YAML::Node& v,
                                            YAML::Node& params) {
    params[key] = YAML::Clone(v);
    return std::nullopt;
  }
  static ParamRule rename(std::string key) {
    return [key](const YAML::Node& v, YAML::Node& params, YAML::Node&) {
      return copy_to(key, v, params);
    };
  }
  static ParamRule only_false(std::string why) {
    return [why](const YAML::Node& v, YAML::Node&, YAML::Node&) -> std::optional<std::string> {
      if (!is_true(v)) return std::nullopt;  // false: Talon's default, nothing to say
      return why;
    };
  }
  // ignore_<kind>s: true -> the kind joins pod.delete's skip_owner_kinds.
  static ParamRule skip_owner(std::string kind) {
    return
        [kind](const YAML::Node& v, YAML::Node& params, YAML::Node&) -> std::optional<std::string> {
          if (!is_true(v)) return std::nullopt;
          // Read through a const view: a non-const [] would add the key as a side effect.
          const YAML::Node& view = params;
          YAML::Node kinds(YAML::NodeType::Sequence);
          if (view["skip_owner_kinds"]) {
            for (const auto& k : view["skip_owner_kinds"]) kinds.push_back(k.Scalar());
          }
          kinds.push_back(kind);
          params["skip_owner_kinds"] = kinds;
          return std::nullopt;
        };
  }
  // labels / annotations: set, never remove (Talon removes a key given an empty value). The
  // keys that can be set are kept.
  static ParamRule metadata(std::string key) {
    return [key](const YAML::Node& v, YAML::Node& params,
                 YAML::Node&) -> std::optional<std::string> {
      if (!v.IsMap()) return "\"" + key + "\" must be a mapping";
      std::optional<std::string> why;
      YAML::Node kept(YAML::NodeType::Map);
      for (const auto& kv : v) {
        const std::string value = kv.second.IsScalar() ? kv.second.Scalar() : "";
        if (value.empty()) {
          why = "\"" + kv.first.Scalar() +
                "\" has an empty value, which makes Talon remove it; riposte's action only sets";
        } else if (value.find("${") != std::string::npos) {
          why = "\"" + value +
                "\" uses a Talon context variable; write a riposte template "
                "({{ output_fields['field'] }}) instead";
        } else {
          kept[kv.first.Scalar()] = value;
        }
      }
      if (kept.size() > 0) params[key] = kept;
      return why;
    };
  }

  static const std::map<std::string, Target>& targets() {
    static const std::map<std::string, Target> kTargets = {
        {"kubernetes:terminate",
         {"pod.delete",
          {{"grace_period_seconds", rename("grace_period_seconds")},
           {"min_healthy_replicas",
            [](const YAML::Node& v, YAML::Node& params, YAML::Node&) -> std::optional<std::string> {
              if (v.IsScalar() && v.Scalar() == "1") {
                params["allow_last_replica"] = false;
                return std::nullopt;
              }
              return "riposte's pod.delete can keep the last ready replica "
                     "(min_healthy_replicas: 1), no other count or percentage";
            }},
           {"ignore_daemonsets", skip_owner("DaemonSet")},
           {"ignore_statefulsets", skip_owner("StatefulSet")},
           {"ignore_standalone_pods",
            [](const YAML::Node& v, YAML::Node& params, YAML::Node&) -> std::optional<std::string> {
              if (is_true(v)) params["skip_standalone"] = true;
              return std::nullopt;
            }}},
          ""}},
        {"kubernetes:label",
         {"pod.label", {{"labels", metadata("labels")}, {"level", rename("level")}}, "", "labels"}},
        {"kubernetes:annotation",
         {"pod.annotate",
          {{"annotations", metadata("annotations")}, {"level", rename("level")}},
          "",
          "annotations"}},
        {"kubernetes:networkpolicy",
         {"network.isolate",
          {{"allow_cidr", rename("allow_cidrs")}, {"allow_namespaces", rename("allow_namespaces")}},
          "Talon's policy denies the pod's egress only; riposte's network.isolate denies its "
          "ingress too (same allowed CIDRs and namespaces)"}},
        {"kubernetes:cordon", {"node.cordon", {}, ""}},
        {"kubernetes:log",
         {"pod.logs",
          {{"tail_lines", rename("tail_lines")}},
          "riposte's pod.logs keeps the lines in the run's audit record (at most limit_bytes, "
          "64 KiB by default), where Talon prints them or sends them to an output"}},
        {"kubernetes:drain",
         {"node.drain",
          {{"max_wait_period",
            [](const YAML::Node& v, YAML::Node& params, YAML::Node&) -> std::optional<std::string> {
              int s = 0;
              if (!v.IsScalar() || !YAML::convert<int>::decode(v, s) || s < 1 || s > 3600) {
                return "max_wait_period must be 1 to 3600 seconds for riposte's timeout_seconds";
              }
              params["timeout_seconds"] = s;
              return std::nullopt;
            }},
           {"ignore_daemonsets",
            [](const YAML::Node& v, YAML::Node&, YAML::Node&) -> std::optional<std::string> {
              if (is_true(v)) return std::nullopt;  // riposte always leaves DaemonSet pods
              return "riposte's node.drain always leaves DaemonSet pods (their controller would "
                     "put them back)";
            }},
           {"ignore_statefulsets", only_false("riposte's node.drain evicts StatefulSet pods too")},
           {"ignore_errors",
            [](const YAML::Node& v, YAML::Node&, YAML::Node& step) -> std::optional<std::string> {
              if (is_true(v)) step["continue_on_error"] = true;
              return std::nullopt;
            }},
           {"min_healthy_replicas",
            [](const YAML::Node&, YAML::Node&, YAML::Node&) -> std::optional<std::string> {
              return "riposte's node.drain evicts through the eviction API: PodDisruptionBudgets "
                     "say how many replicas must stay, not the playbook";
            }},
           {"wait_period_excluded_namespaces",
            [](const YAML::Node&, YAML::Node&, YAML::Node&) -> std::optional<std::string> {
              return "riposte's node.drain waits for every evicted pod";
            }}},
          "riposte's node.drain also cordons the node first, as kubectl drain does"}},
    };
    return kTargets;
  }

  static std::string why_not(const std::string& actionner) {
    static const std::map<std::string, std::string> kWhy = {
        {"kubernetes:exec", "riposte runs no commands in containers"},
        {"kubernetes:script", "riposte runs no scripts in containers"},
        {"kubernetes:download", "riposte copies no files out of containers"},
        {"kubernetes:tcpdump", "riposte captures no packets"},
        {"kubernetes:sysdig", "riposte takes no sysdig captures"},
        {"kubernetes:delete", "riposte has no generic delete of the resource an audit event names"},
        {"cilium:networkpolicy",
         "riposte writes Kubernetes NetworkPolicies (network.isolate), not Cilium's"},
        {"calico:networkpolicy",
         "riposte writes Kubernetes NetworkPolicies (network.isolate), not Calico's"},
        {"aws:lambda",
         "riposte invokes no cloud functions (a notify.webhook step can call an HTTP endpoint)"},
        {"gcp:function",
         "riposte invokes no cloud functions (a notify.webhook step can call an HTTP endpoint)"},
    };
    auto it = kWhy.find(actionner);
    return it != kWhy.end() ? it->second : "unknown actionner";
  }

  std::optional<YAML::Node> step(const Action& a, std::set<std::string>* names) {
    if (!a.actionner) {
      no(a.pos, "action \"" + a.name + "\" has no actionner (nor a definition that names one)");
      return std::nullopt;
    }
    const auto t = targets().find(a.actionner->value);
    if (t == targets().end()) {
      no(a.actionner->pos, "actionner " + a.actionner->value + ": " + why_not(a.actionner->value));
      return std::nullopt;
    }
    YAML::Node s(YAML::NodeType::Map);
    std::string name = slug(a.name, 63);
    for (int i = 2; !name.empty() && !names->insert(name).second; ++i) {
      name = slug(a.name, 58) + "-" + std::to_string(i);
    }
    if (!name.empty()) s["name"] = name;
    s["action"] = t->second.action;
    if (!t->second.difference.empty()) remark(a.actionner->pos, t->second.difference);
    YAML::Node params(YAML::NodeType::Map);
    if (a.params) {
      for (const auto& kv : a.params) {
        const std::string key = kv.first.Scalar();
        const std::string pos = a.param_pos.count(key) ? a.param_pos.at(key) : a.pos;
        const auto rule = t->second.params.find(key);
        if (rule == t->second.params.end()) {
          no(pos, "parameter \"" + key + "\" of " + a.actionner->value + ": riposte's " +
                      t->second.action + " has no such setting");
          continue;
        }
        if (auto why = rule->second(kv.second, params, s)) {
          no(pos, "parameter \"" + key + "\" of " + a.actionner->value + ": " + *why);
        } else {
          ok();
        }
      }
    }
    if (!t->second.required.empty() && !params[t->second.required]) {
      no(a.actionner->pos,
         "action \"" + a.name + "\": nothing is left for " + t->second.action + " to set");
      return std::nullopt;
    }
    ok();  // the actionner
    if (params.size() > 0) s["params"] = params;
    if (a.ignore_errors && setting(*a.ignore_errors, "ignore_errors"))
      s["continue_on_error"] = true;
    if (a.cont) setting(*a.cont, "continue");  // how later actions are cut, see rule()
    if (a.output) {
      no(a.output->pos, "output \"" + a.output->value + "\": riposte stores no artifacts");
    }
    for (const Field& c : a.contexts) {
      remark(c.pos, "additional context \"" + c.value + "\" is not used by " + a.actionner->value);
    }
    return s;
  }

  TalonImport* out_;
  std::set<std::string> names_;
};

}  // namespace

std::string TalonNote::str() const {
  return position + (translated ? ": note: " : ": warning: not translated: ") + message;
}

Result<TalonImport> import_talon(const std::vector<std::pair<std::string, std::string>>& files) {
  Reader reader;
  for (const auto& [name, text] : files) {
    if (Status st = reader.read(name, text); !st.ok()) return st.err();
  }
  TalonImport out;
  out.notes = reader.cleared_;
  Translator t(&out);
  for (const Rule& r : reader.rules()) t.rule(r);
  if (out.yaml.empty()) out.yaml = "[]\n";
  return out;
}

}  // namespace riposte::cli
