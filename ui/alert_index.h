// The web UI's in-memory index of the alert stream and the run records: what filters, the
// timeline and the charts read, so that no request scans the stream. Fed by ordered consumers
// (stream_feed.h) in stream order; a row is ~40 bytes plus the distinct strings it names, so
// 1 M alerts are ~50 MB. The full alert and run record stay in JetStream and are read by
// sequence when a detail page asks for them.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace riposte::ui {

// Strings an index row names (rules, pods, ...), stored once each.
class Interner {
 public:
  uint32_t id(std::string_view s);
  // kNone when s was never seen (a filter naming nothing matches nothing).
  uint32_t find(std::string_view s) const;
  const std::string& str(uint32_t id) const { return strings_[id]; }
  static constexpr uint32_t kNone = 0xffffffff;

 private:
  std::vector<std::string> strings_;
  std::unordered_map<std::string, uint32_t> ids_;
};

struct AlertRow {
  uint64_t seq = 0;  // RIPOSTE_ALERTS stream sequence
  int64_t time_ns = 0;
  uint32_t rule = 0, source = 0, ns = 0, pod = 0, node = 0;
  uint8_t priority = 0;  // riposte::Priority
};

struct RunRow {
  uint64_t seq = 0;        // RIPOSTE_ACTIONS stream sequence of the run record
  uint64_t alert_seq = 0;  // its alert's RIPOSTE_ALERTS sequence
  int64_t time_ns = 0;     // the alert's time
  uint32_t playbook = 0, outcome = 0;
  std::string id;         // the run key
  bool undoable = false;  // a step the UI knows how to undo succeeded
  uint64_t undo_seq = 0;  // the undo's record, once undone
};

// Every field optional; empty strings and 0 mean "any".
struct Filter {
  std::vector<uint8_t> priorities;  // any of
  std::string rule, source, ns, pod, node, playbook, outcome;
  int64_t from_ns = 0, to_ns = 0;  // [from, to)
};

struct Page {
  nlohmann::json rows = nlohmann::json::array();
  uint64_t matched = 0;      // rows matching the filter
  uint64_t next_before = 0;  // pass as before_seq for the next page; 0: none
};

class AlertIndex {
 public:
  // An alert as stored in RIPOSTE_ALERTS. False (and counted) when it is not a valid alert.
  bool add_alert(uint64_t seq, std::string_view json);
  // A record from RIPOSTE_ACTIONS: runs are indexed, undo records mark their run undone,
  // other kinds (cooldown summaries) ignored.
  void add_record(uint64_t seq, std::string_view json);

  // The newest `limit` matching alerts older than before_seq (0: from the newest).
  Page query(const Filter& f, size_t limit, uint64_t before_seq) const;
  // Charts over the matching alerts: per time bucket and priority, top rules, by node, and
  // the runs' outcomes.
  nlohmann::json stats(const Filter& f, int buckets) const;
  // Values seen for each filter field (the filter form's suggestions), the first
  // kMaxFacetValues of each.
  nlohmann::json facets() const;
  static constexpr size_t kMaxFacetValues = 200;

  std::optional<RunRow> run(const std::string& id) const;
  uint64_t alerts() const;
  uint64_t last_alert_seq() const;
  uint64_t last_record_seq() const;
  uint64_t invalid() const;

 private:
  struct Compiled;
  bool compile(const Filter& f, Compiled* c) const;
  bool matches(const Compiled& c, const AlertRow& r) const;
  nlohmann::json row_json(const AlertRow& r) const;

  enum Facet {
    kRuleFacet,
    kSourceFacet,
    kNamespaceFacet,
    kNodeFacet,
    kPlaybookFacet,
    kOutcomeFacet,
    kFacets
  };
  void note_facet(Facet f, uint32_t id);

  mutable std::shared_mutex mu_;
  std::array<std::set<uint32_t>, kFacets> facets_;
  Interner strings_;
  std::vector<AlertRow> alerts_;  // in stream order (sequence ascending)
  std::vector<RunRow> runs_;
  std::unordered_map<uint64_t, std::vector<uint32_t>> runs_by_alert_;
  std::unordered_map<std::string, uint32_t> run_by_id_;
  std::unordered_map<std::string, uint64_t> undone_;  // run id -> undo record seq, seen early
  uint64_t last_record_seq_ = 0;
  uint64_t invalid_ = 0;
};

}  // namespace riposte::ui
