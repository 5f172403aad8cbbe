#include "common/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <thread>
#include <vector>

namespace riposte {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Metrics, SameNameAndLabelsReturnSameObject) {
  Registry r;
  Counter& a =
      r.counter("riposte_alerts_total", "Alerts.", {{"rule", "x"}, {"priority", "warning"}});
  Counter& b =
      r.counter("riposte_alerts_total", "Alerts.", {{"priority", "warning"}, {"rule", "x"}});
  Counter& c =
      r.counter("riposte_alerts_total", "Alerts.", {{"rule", "y"}, {"priority", "warning"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
  // References survive many later registrations (no reallocation moves them).
  for (int i = 0; i < 200; ++i)
    r.counter("riposte_alerts_total", "Alerts.", {{"rule", std::to_string(i)}});
  a.inc();
  EXPECT_EQ(b.value(), 1.0);
}

TEST(Metrics, CounterRendersHelpAndTypeOncePerFamily) {
  Registry r;
  r.counter("riposte_alerts_total", "Alerts published.", {{"rule", "a"}}).inc(2);
  r.counter("riposte_alerts_total", "Alerts published.", {{"rule", "b"}}).inc();
  const std::string text = r.render();
  EXPECT_EQ(text,
            "# HELP riposte_alerts_total Alerts published.\n"
            "# TYPE riposte_alerts_total counter\n"
            "riposte_alerts_total{rule=\"a\"} 2\n"
            "riposte_alerts_total{rule=\"b\"} 1\n");
}

TEST(Metrics, CounterIgnoresNegativeIncrements) {
  Registry r;
  Counter& c = r.counter("c_total", "c");
  c.inc(3);
  c.inc(-1);
  EXPECT_EQ(c.value(), 3.0);
}

TEST(Metrics, LabelValuesAndHelpAreEscaped) {
  Registry r;
  r.gauge("g", "line one\nback\\slash", {{"path", "C:\\x \"q\"\nz"}}).set(1.5);
  const std::string text = r.render();
  EXPECT_THAT(text, HasSubstr("# HELP g line one\\nback\\\\slash\n"));
  EXPECT_THAT(text, HasSubstr("g{path=\"C:\\\\x \\\"q\\\"\\nz\"} 1.5\n"));
}

TEST(Metrics, GaugeSetIncDecAndFunction) {
  Registry r;
  Gauge& g = r.gauge("riposte_inflight", "In flight.");
  g.set(5);
  g.inc();
  g.dec(2);
  EXPECT_EQ(g.value(), 4.0);
  int depth = 7;
  Gauge& q = r.gauge("riposte_queue_depth", "Queue depth.");
  q.set_function([&] { return static_cast<double>(depth); });
  depth = 9;
  EXPECT_THAT(r.render(), HasSubstr("riposte_queue_depth 9\n"));
  EXPECT_THAT(r.render(), HasSubstr("riposte_inflight 4\n"));
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInf) {
  Registry r;
  Histogram& h =
      r.histogram("riposte_latency_seconds", "Latency.", {1, 0.1, 0.5}, {{"stage", "act"}});
  h.observe(0.05);
  h.observe(0.1);  // le is inclusive
  h.observe(0.7);
  h.observe(3);
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(r.render(),
            "# HELP riposte_latency_seconds Latency.\n"
            "# TYPE riposte_latency_seconds histogram\n"
            "riposte_latency_seconds_bucket{stage=\"act\",le=\"0.1\"} 2\n"
            "riposte_latency_seconds_bucket{stage=\"act\",le=\"0.5\"} 2\n"
            "riposte_latency_seconds_bucket{stage=\"act\",le=\"1\"} 3\n"
            "riposte_latency_seconds_bucket{stage=\"act\",le=\"+Inf\"} 4\n"
            "riposte_latency_seconds_sum{stage=\"act\"} 3.85\n"
            "riposte_latency_seconds_count{stage=\"act\"} 4\n");
}

TEST(Metrics, HistogramWithoutLabels) {
  Registry r;
  r.histogram("h", "h", {1}).observe(2);
  const std::string text = r.render();
  EXPECT_THAT(text, HasSubstr("h_bucket{le=\"1\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("h_bucket{le=\"+Inf\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("h_sum 2\n"));
  EXPECT_THAT(text, HasSubstr("h_count 1\n"));
}

TEST(Metrics, ConflictingTypeIsNotExported) {
  Registry r;
  r.counter("x", "x").inc();
  Gauge& g = r.gauge("x", "x");  // programming error: logged, detached
  g.set(42);
  const std::string text = r.render();
  EXPECT_THAT(text, HasSubstr("# TYPE x counter\n"));
  EXPECT_THAT(text, Not(HasSubstr("42")));
}

TEST(Metrics, FormatsSpecialValues) {
  EXPECT_EQ(format_metric_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_metric_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_metric_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(format_metric_value(0), "0");
  EXPECT_EQ(format_metric_value(0.0025), "0.0025");
  EXPECT_EQ(format_metric_value(1234567), "1234567");
}

TEST(Metrics, ConcurrentIncrementsAreNotLost) {
  Registry r;
  Counter& c = r.counter("c_total", "c");
  Histogram& h = r.histogram("h", "h", default_latency_buckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50000; ++i) {
        c.inc();
        h.observe(0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 200000.0);
  EXPECT_EQ(h.count(), 200000u);
}

}  // namespace
}  // namespace riposte
