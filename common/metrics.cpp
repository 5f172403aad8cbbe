#include "common/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "common/log.h"

namespace riposte {

namespace {

enum Type { kCounter = 0, kGauge = 1, kHistogram = 2 };
constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram"};

std::string escape_help(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// {a="1",b="2"} plus an optional extra label (le for histogram buckets).
std::string label_block(const Labels& labels, const char* extra_name = nullptr,
                        const std::string& extra_value = {}) {
  if (labels.empty() && extra_name == nullptr) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k + "=\"" + escape_label_value(v) + "\"";
  }
  if (extra_name != nullptr) {
    if (!first) out += ',';
    out += std::string(extra_name) + "=\"" + escape_label_value(extra_value) + "\"";
  }
  out += '}';
  return out;
}

Labels normalized(Labels labels) {
  std::sort(labels.begin(), labels.end());
  return labels;
}

}  // namespace

std::string escape_label_value(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_metric_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Shortest round-trip form: 1 -> "1", 0.005 -> "0.005", as Prometheus clients print them.
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

// --- Gauge ---------------------------------------------------------------------------------

void Gauge::set_function(std::function<double()> fn) {
  std::lock_guard<std::mutex> lock(fn_mu_);
  fn_ = std::move(fn);
  has_fn_.store(static_cast<bool>(fn_), std::memory_order_release);
}

double Gauge::value() const {
  if (has_fn_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(fn_mu_);
    if (fn_) {
      try {
        return fn_();
      } catch (...) {
        return std::numeric_limits<double>::quiet_NaN();
      }
    }
  }
  return value_.load(std::memory_order_relaxed);
}

// --- Histogram -----------------------------------------------------------------------------

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  bounds_.erase(std::remove_if(bounds_.begin(), bounds_.end(),
                               [](double b) { return std::isnan(b) || std::isinf(b); }),
                bounds_.end());
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
  // le is inclusive: the first bound >= v.
  const size_t i =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::cumulative_counts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    out[i] = total;
  }
  return out;
}

uint64_t Histogram::count() const { return cumulative_counts().back(); }

std::vector<double> default_latency_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

// --- Registry ------------------------------------------------------------------------------

struct Registry::Series {
  Labels labels;
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<Histogram> histogram;
};

struct Registry::Family {
  std::string name;
  std::string help;
  int type = kCounter;
  std::vector<double> bounds;  // histograms: as normalized by the first registration
  std::vector<std::unique_ptr<Series>> series;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Series& Registry::series(const std::string& name, const std::string& help, int type,
                                   const std::vector<double>* buckets, const Labels& labels) {
  Labels key = normalized(labels);
  auto make = [&](const std::vector<double>* b) {
    auto s = std::make_unique<Series>();
    s->labels = key;
    if (type == kCounter) s->counter = std::make_unique<Counter>();
    if (type == kGauge) s->gauge = std::make_unique<Gauge>();
    if (type == kHistogram) s->histogram = std::make_unique<Histogram>(*b);
    return s;
  };
  std::lock_guard<std::mutex> lock(mu_);
  auto fam = std::find_if(families_.begin(), families_.end(),
                          [&](const auto& f) { return f->name == name; });
  if (fam == families_.end()) {
    auto f = std::make_unique<Family>();
    f->name = name;
    f->help = help;
    f->type = type;
    if (type == kHistogram) f->bounds = Histogram(*buckets).bounds();
    families_.push_back(std::move(f));
    fam = families_.end() - 1;
  }
  Family& f = **fam;
  if (f.type != type || (type == kHistogram && Histogram(*buckets).bounds() != f.bounds)) {
    log::error("metric registered twice with a different type or buckets; not exported",
               {{"metric", name}});
    orphans_.push_back(make(buckets));
    return *orphans_.back();
  }
  for (auto& s : f.series) {
    if (s->labels == key) return *s;
  }
  f.series.push_back(make(buckets));
  return *f.series.back();
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  return *series(name, help, kCounter, nullptr, labels).counter;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  return *series(name, help, kGauge, nullptr, labels).gauge;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help,
                               std::vector<double> buckets, const Labels& labels) {
  return *series(name, help, kHistogram, &buckets, labels).histogram;
}

std::string Registry::render() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& f : families_) {
    out += "# HELP " + f->name + " " + escape_help(f->help) + "\n";
    out += "# TYPE " + f->name + " " + kTypeNames[f->type] + "\n";
    for (const auto& s : f->series) {
      if (f->type == kCounter) {
        out += f->name + label_block(s->labels) + " " + format_metric_value(s->counter->value()) +
               "\n";
      } else if (f->type == kGauge) {
        out +=
            f->name + label_block(s->labels) + " " + format_metric_value(s->gauge->value()) + "\n";
      } else {
        const Histogram& h = *s->histogram;
        const auto counts = h.cumulative_counts();
        for (size_t i = 0; i < h.bounds().size(); ++i) {
          out += f->name + "_bucket" +
                 label_block(s->labels, "le", format_metric_value(h.bounds()[i])) + " " +
                 std::to_string(counts[i]) + "\n";
        }
        out += f->name + "_bucket" + label_block(s->labels, "le", "+Inf") + " " +
               std::to_string(counts.back()) + "\n";
        // Sum is read separately from the buckets; a concurrent observe may land between the
        // two, which Prometheus tolerates. _count is the +Inf bucket so those always agree.
        out +=
            f->name + "_sum" + label_block(s->labels) + " " + format_metric_value(h.sum()) + "\n";
        out += f->name + "_count" + label_block(s->labels) + " " + std::to_string(counts.back()) +
               "\n";
      }
    }
  }
  return out;
}

}  // namespace riposte
