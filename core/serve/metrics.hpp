// The daemon's metrics, rendered in the Prometheus text exposition format (version 0.0.4).
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace cspm::core {

using Labels = std::map<std::string, std::string>;

/// Counters, gauges and histograms by name and labels; safe to update from any thread.
/// A name keeps the type and help of its first use.
class Metrics {
 public:
  void add(const std::string& name, const std::string& help, double value = 1, const Labels& labels = {});
  void set(const std::string& name, const std::string& help, double value, const Labels& labels = {});
  /// Observes a duration in seconds (buckets from 5 ms to 10 min).
  void observe(const std::string& name, const std::string& help, double seconds, const Labels& labels = {});

  /// The exposition text (`text/plain; version=0.0.4`).
  std::string render() const;
  /// A counter's or gauge's value (0 if never set), for tests and the JSON API.
  double value(const std::string& name, const Labels& labels = {}) const;

 private:
  enum class Type { counter, gauge, histogram };
  struct Histogram {
    std::vector<std::uint64_t> buckets;  // per upper bound, not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };
  struct Family {
    Type type;
    std::string help;
    std::map<Labels, double> values;
    std::map<Labels, Histogram> histograms;
  };
  Family& family(const std::string& name, const std::string& help, Type type);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
};

}  // namespace cspm::core
