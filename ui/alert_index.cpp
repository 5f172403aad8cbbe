#include "ui/alert_index.h"

#include <algorithm>
#include <map>

#include "common/alert.h"
#include "common/bus_contract.h"
#include "ui/undo_plan.h"

namespace riposte::ui {

uint32_t Interner::id(std::string_view s) {
  std::string key(s);
  auto it = ids_.find(key);
  if (it != ids_.end()) return it->second;
  const auto id = static_cast<uint32_t>(strings_.size());
  strings_.push_back(key);
  ids_.emplace(std::move(key), id);
  return id;
}

uint32_t Interner::find(std::string_view s) const {
  auto it = ids_.find(std::string(s));
  return it == ids_.end() ? kNone : it->second;
}

namespace {

std::string field(const Alert& a, std::string_view key) {
  std::string v;
  a.field_string(key, &v);
  return v;
}

// The node an alert happened on: Falco's k8s.node.name when the rule output has it, else the
// detector's hostname (riposte-detector runs with the node's name as hostname).
std::string node_of(const Alert& a) {
  std::string n = field(a, "k8s.node.name");
  return n.empty() ? a.hostname : n;
}

}  // namespace

bool AlertIndex::add_alert(uint64_t seq, std::string_view json) {
  auto parsed = parse_alert(json);
  std::unique_lock lock(mu_);
  if (!parsed) {
    ++invalid_;
    return false;
  }
  const Alert& a = *parsed;
  std::string ns = field(a, kNamespaceField), pod = field(a, kPodNameField);
  if (ns.empty()) ns = field(a, kAuditNamespaceField);
  if (pod.empty() && a.source == "k8s_audit") pod = field(a, kAuditNameField);
  AlertRow r;
  r.seq = seq;
  r.time_ns = a.time_ns;
  r.rule = strings_.id(a.rule);
  r.source = strings_.id(a.source);
  r.ns = strings_.id(ns);
  r.pod = strings_.id(pod);
  r.node = strings_.id(node_of(a));
  r.priority = static_cast<uint8_t>(a.priority);
  // Ordered consumers deliver in sequence order; a restarted feed may repeat the tail.
  if (!alerts_.empty() && seq <= alerts_.back().seq) return true;
  alerts_.push_back(r);
  note_facet(kRuleFacet, r.rule);
  note_facet(kSourceFacet, r.source);
  note_facet(kNamespaceFacet, r.ns);
  note_facet(kNodeFacet, r.node);
  return true;
}

void AlertIndex::add_record(uint64_t seq, std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  std::unique_lock lock(mu_);
  if (seq > last_record_seq_) last_record_seq_ = seq;
  if (!j.is_object()) return;
  const std::string kind = j.value("kind", "");
  const std::string id = j.value("id", "");
  if (kind == "undo") {
    // A failed or dry-run undo changed nothing: the run stays undoable.
    if (j.value("outcome", "") != "succeeded" || j.value("dry_run", false)) return;
    const std::string run = j.value("run", "");
    if (auto it = run_by_id_.find(run); it != run_by_id_.end())
      runs_[it->second].undo_seq = seq;
    else
      undone_[run] = seq;
    return;
  }
  if (kind != "run" || id.empty() || run_by_id_.count(id)) return;
  RunRow r;
  r.seq = seq;
  r.id = id;
  const auto& alert = j.contains("alert") && j["alert"].is_object() ? j["alert"] : nlohmann::json();
  if (alert.is_object()) {
    r.alert_seq = alert.value("stream_sequence", uint64_t{0});
    r.time_ns = parse_rfc3339(alert.value("time", "")).value_or(0);
  }
  r.playbook = strings_.id(j.value("playbook", ""));
  r.outcome = strings_.id(j.value("outcome", ""));
  r.undoable = !undo_plan(j).empty();
  note_facet(kPlaybookFacet, r.playbook);
  note_facet(kOutcomeFacet, r.outcome);
  if (auto it = undone_.find(id); it != undone_.end()) {
    r.undo_seq = it->second;
    undone_.erase(it);
  }
  const auto index = static_cast<uint32_t>(runs_.size());
  runs_.push_back(std::move(r));
  run_by_id_[id] = index;
  runs_by_alert_[runs_.back().alert_seq].push_back(index);
}

struct AlertIndex::Compiled {
  uint32_t rule = Interner::kNone, source = Interner::kNone, ns = Interner::kNone,
           pod = Interner::kNone, node = Interner::kNone, playbook = Interner::kNone,
           outcome = Interner::kNone;
  bool any_rule = true, any_source = true, any_ns = true, any_pod = true, any_node = true,
       any_playbook = true, any_outcome = true;
  uint8_t priority_mask = 0xff;
  int64_t from_ns = 0, to_ns = 0;
};

// False when the filter names a value never seen: nothing can match.
bool AlertIndex::compile(const Filter& f, Compiled* c) const {
  bool possible = true;
  auto one = [&](const std::string& v, uint32_t* id, bool* any) {
    if (v.empty()) return;
    *any = false;
    *id = strings_.find(v);
    if (*id == Interner::kNone) possible = false;
  };
  one(f.rule, &c->rule, &c->any_rule);
  one(f.source, &c->source, &c->any_source);
  one(f.ns, &c->ns, &c->any_ns);
  one(f.pod, &c->pod, &c->any_pod);
  one(f.node, &c->node, &c->any_node);
  one(f.playbook, &c->playbook, &c->any_playbook);
  one(f.outcome, &c->outcome, &c->any_outcome);
  if (!f.priorities.empty()) {
    c->priority_mask = 0;
    for (uint8_t p : f.priorities) {
      if (p < 8) c->priority_mask |= static_cast<uint8_t>(1u << p);
    }
  }
  c->from_ns = f.from_ns;
  c->to_ns = f.to_ns;
  return possible;
}

bool AlertIndex::matches(const Compiled& c, const AlertRow& r) const {
  if (!(c.priority_mask & (1u << r.priority))) return false;
  if (c.from_ns && r.time_ns < c.from_ns) return false;
  if (c.to_ns && r.time_ns >= c.to_ns) return false;
  if ((!c.any_rule && r.rule != c.rule) || (!c.any_source && r.source != c.source) ||
      (!c.any_ns && r.ns != c.ns) || (!c.any_pod && r.pod != c.pod) ||
      (!c.any_node && r.node != c.node))
    return false;
  if (c.any_playbook && c.any_outcome) return true;
  auto it = runs_by_alert_.find(r.seq);
  if (it == runs_by_alert_.end()) return false;
  for (uint32_t i : it->second) {
    const RunRow& run = runs_[i];
    if ((c.any_playbook || run.playbook == c.playbook) &&
        (c.any_outcome || run.outcome == c.outcome))
      return true;
  }
  return false;
}

nlohmann::json AlertIndex::row_json(const AlertRow& r) const {
  nlohmann::json runs = nlohmann::json::array();
  if (auto it = runs_by_alert_.find(r.seq); it != runs_by_alert_.end()) {
    for (uint32_t i : it->second) {
      const RunRow& run = runs_[i];
      runs.push_back({{"id", run.id},
                      {"playbook", strings_.str(run.playbook)},
                      {"outcome", strings_.str(run.outcome)},
                      {"undoable", run.undoable && run.undo_seq == 0},
                      {"undone", run.undo_seq != 0}});
    }
  }
  return {{"seq", r.seq},
          {"time", format_rfc3339_ns(r.time_ns)},
          {"priority", priority_name(static_cast<Priority>(r.priority))},
          {"rule", strings_.str(r.rule)},
          {"source", strings_.str(r.source)},
          {"namespace", strings_.str(r.ns)},
          {"pod", strings_.str(r.pod)},
          {"node", strings_.str(r.node)},
          {"runs", runs}};
}

Page AlertIndex::query(const Filter& f, size_t limit, uint64_t before_seq) const {
  std::shared_lock lock(mu_);
  Page page;
  Compiled c;
  if (!compile(f, &c)) return page;
  // Newest first; counting the matches means one pass over the index (no stream reads).
  for (auto it = alerts_.rbegin(); it != alerts_.rend(); ++it) {
    if (!matches(c, *it)) continue;
    ++page.matched;
    if (before_seq && it->seq >= before_seq) continue;
    if (page.rows.size() < limit) {
      page.rows.push_back(row_json(*it));
      page.next_before = it->seq;
    }
  }
  if (page.rows.size() < limit) page.next_before = 0;
  return page;
}

nlohmann::json AlertIndex::stats(const Filter& f, int buckets) const {
  std::shared_lock lock(mu_);
  buckets = std::clamp(buckets, 1, 500);
  nlohmann::json out = {{"buckets", nlohmann::json::array()},
                        {"rules", nlohmann::json::array()},
                        {"nodes", nlohmann::json::array()},
                        {"outcomes", nlohmann::json::object()}};
  Compiled c;
  if (!compile(f, &c)) return out;
  // Time axis: the filter's range, else the matching alerts' own.
  int64_t lo = f.from_ns, hi = f.to_ns;
  if (!lo || !hi) {
    int64_t min = INT64_MAX, max = INT64_MIN;
    for (const auto& r : alerts_) {
      if (!matches(c, r)) continue;
      min = std::min(min, r.time_ns);
      max = std::max(max, r.time_ns);
    }
    if (min > max) return out;
    if (!lo) lo = min;
    if (!hi) hi = max + 1;
  }
  const int64_t width = std::max<int64_t>(1, (hi - lo + buckets - 1) / buckets);
  std::vector<std::array<uint64_t, 8>> counts(static_cast<size_t>(buckets));
  std::unordered_map<uint32_t, uint64_t> rules, nodes;
  std::map<std::string, uint64_t> outcomes;
  for (const auto& r : alerts_) {
    if (!matches(c, r)) continue;
    if (r.time_ns >= lo && r.time_ns < hi) {
      ++counts[static_cast<size_t>((r.time_ns - lo) / width)][r.priority];
    }
    ++rules[r.rule];
    ++nodes[r.node];
    if (auto it = runs_by_alert_.find(r.seq); it != runs_by_alert_.end()) {
      for (uint32_t i : it->second) ++outcomes[strings_.str(runs_[i].outcome)];
    }
  }
  for (int b = 0; b < buckets; ++b) {
    nlohmann::json per = nlohmann::json::object();
    for (int p = 0; p < 8; ++p) {
      if (counts[static_cast<size_t>(b)][static_cast<size_t>(p)])
        per[std::string(priority_name(static_cast<Priority>(p)))] =
            counts[static_cast<size_t>(b)][static_cast<size_t>(p)];
    }
    out["buckets"].push_back({{"start", format_rfc3339_ns(lo + b * width)}, {"counts", per}});
  }
  auto top = [&](const std::unordered_map<uint32_t, uint64_t>& m, const char* key) {
    std::vector<std::pair<uint64_t, uint32_t>> v;
    for (const auto& [id, n] : m) v.emplace_back(n, id);
    std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.first > b.first; });
    if (v.size() > 10) v.resize(10);
    for (const auto& [n, id] : v) out[key].push_back({{"name", strings_.str(id)}, {"count", n}});
  };
  top(rules, "rules");
  top(nodes, "nodes");
  out["outcomes"] = outcomes;
  return out;
}

void AlertIndex::note_facet(Facet f, uint32_t id) {
  auto& ids = facets_[f];
  if (ids.size() < kMaxFacetValues && !strings_.str(id).empty()) ids.insert(id);
}

nlohmann::json AlertIndex::facets() const {
  std::shared_lock lock(mu_);
  static constexpr const char* kNames[] = {"rule", "source",   "namespace",
                                           "node", "playbook", "outcome"};
  nlohmann::json out = nlohmann::json::object();
  for (size_t f = 0; f < facets_.size(); ++f) {
    std::vector<std::string> v;
    for (uint32_t id : facets_[f]) v.push_back(strings_.str(id));
    std::sort(v.begin(), v.end());
    out[kNames[f]] = v;
  }
  return out;
}

std::optional<RunRow> AlertIndex::run(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto it = run_by_id_.find(id);
  if (it == run_by_id_.end()) return std::nullopt;
  return runs_[it->second];
}

uint64_t AlertIndex::alerts() const {
  std::shared_lock lock(mu_);
  return alerts_.size();
}

uint64_t AlertIndex::last_alert_seq() const {
  std::shared_lock lock(mu_);
  return alerts_.empty() ? 0 : alerts_.back().seq;
}

uint64_t AlertIndex::last_record_seq() const {
  std::shared_lock lock(mu_);
  return last_record_seq_;
}

uint64_t AlertIndex::invalid() const {
  std::shared_lock lock(mu_);
  return invalid_;
}

}  // namespace riposte::ui
