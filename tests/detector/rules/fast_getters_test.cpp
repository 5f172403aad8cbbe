// The fast accessors (fast_str_getter / fast_num_getter) against the generic path
// (extract_field) for every field that has one, on the mixed event stream of the benchmark
// plus the edge cases a real stream has: no process, no fd, a failed call, a process without a
// container or parent. A fast getter must give exactly the first value extract_field gives, and
// no value when it gives none.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "detector/rules/fields.h"
#include "tests/detector/rules/event_mix.h"

namespace riposte::detector::rules {
namespace {

// Each known field, and with an index for the ones whose fast path depends on one.
std::vector<ResolvedField> fields_with_fast_getters() {
  std::vector<ResolvedField> out;
  auto add = [&](std::string_view name, std::string_view arg, bool has_arg) {
    ResolvedField f;
    std::string err;
    if (!resolve_field(name, arg, has_arg, &f, &err)) return;
    if (fast_str_getter(f) != nullptr || fast_num_getter(f) != nullptr) out.push_back(f);
  };
  for (std::string_view name : known_field_names()) {
    add(name, "", false);
    for (std::string_view i : {"0", "1", "2", "3", "7"}) add(name, i, true);
  }
  return out;
}

std::vector<Event> corpus(testing::EventMix* m) {
  std::vector<Event> evs = m->events;
  // Edge cases built from the stream's own events.
  const size_t n = evs.size();
  for (size_t i = 0; i < n; i += 97) {
    Event e = evs[i];
    e.fd = nullptr;
    evs.push_back(e);
    e.res = -2;
    evs.push_back(e);
    e.proc = nullptr;
    evs.push_back(e);
    Event orphan = evs[i];
    orphan.procs = nullptr;  // no process table: no parent, no ancestors
    evs.push_back(orphan);
  }
  return evs;
}

TEST(FastGetters, AgreeWithExtractFieldOnEveryEvent) {
  auto mix = testing::make_event_mix(4096, 7);
  const std::vector<Event> events = corpus(mix.get());
  const std::vector<ResolvedField> fields = fields_with_fast_getters();
  // The catalogue has fast getters for ~45 fields; if this drops, the list above lost them.
  ASSERT_GE(fields.size(), 40u);
  EvalScratch generic_scratch, fast_scratch;
  FieldValue vals[kMaxFieldValues];
  size_t compared = 0;
  for (const Event& ev : events) {
    for (const ResolvedField& f : fields) {
      generic_scratch.begin_event();
      generic_scratch.reset();
      fast_scratch.begin_event();
      fast_scratch.reset();
      EvalContext gc{&ev, "node-1", &generic_scratch};
      EvalContext fc{&ev, "node-1", &fast_scratch};
      const size_t n = extract_field(f, gc, vals, kMaxFieldValues);
      const std::string where = f.name + " on event " + std::to_string(ev.num) + " (" +
                                std::string(event_type_name(ev.type)) + ")";
      if (StrGetter sg = fast_str_getter(f)) {
        std::string_view s;
        const bool has = sg(f, fc, &s);
        ASSERT_EQ(has, n > 0) << where;
        if (has) {
          EXPECT_EQ(s, vals[0].str) << where;
        }
      } else {
        NumGetter ng = fast_num_getter(f);
        int64_t v = 0;
        const bool has = ng(f, fc, &v);
        ASSERT_EQ(has, n > 0) << where;
        if (has) {
          const int64_t want = vals[0].type == FieldType::kBool ? vals[0].flag : vals[0].num;
          EXPECT_EQ(v, want) << where;
        }
      }
      ++compared;
    }
  }
  EXPECT_GT(compared, 100000u);
}

}  // namespace
}  // namespace riposte::detector::rules
