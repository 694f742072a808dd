// Prometheus text rendering: HELP and TYPE once per family, escaped label values,
// cumulative histogram buckets ending in +Inf.
#include "metrics.hpp"

#include <array>
#include <cmath>
#include <charconv>

namespace cspm::core {
namespace {

constexpr std::array kBounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0};

std::string escape(const std::string& s, bool quote) {
  std::string out;
  for (const char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quote) out += "\\\"";
    else out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buffer[32];
  const auto r = std::to_chars(buffer, buffer + sizeof buffer, v);  // shortest text that reads back as v
  return std::string(buffer, r.ptr);
}

std::string labels_text(const Labels& labels, const std::string& extra_name = {}, const std::string& extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return {};
  std::string out = "{";
  for (const auto& [k, v] : labels) out += (out.size() > 1 ? "," : "") + k + "=\"" + escape(v, true) + "\"";
  if (!extra_name.empty()) out += (out.size() > 1 ? "," : "") + extra_name + "=\"" + extra_value + "\"";
  return out + "}";
}

}  // namespace

Metrics::Family& Metrics::family(const std::string& name, const std::string& help, Type type) {
  auto [it, inserted] = families_.try_emplace(name, Family{type, help, {}, {}});
  return it->second;
}

void Metrics::add(const std::string& name, const std::string& help, double value, const Labels& labels) {
  const std::lock_guard lock{mutex_};
  family(name, help, Type::counter).values[labels] += value;
}

void Metrics::set(const std::string& name, const std::string& help, double value, const Labels& labels) {
  const std::lock_guard lock{mutex_};
  family(name, help, Type::gauge).values[labels] = value;
}

void Metrics::observe(const std::string& name, const std::string& help, double seconds, const Labels& labels) {
  const std::lock_guard lock{mutex_};
  Histogram& h = family(name, help, Type::histogram).histograms[labels];
  if (h.buckets.empty()) h.buckets.assign(kBounds.size(), 0);
  for (std::size_t i = 0; i < kBounds.size(); ++i)
    if (seconds <= kBounds[i]) {
      ++h.buckets[i];
      break;
    }
  ++h.count;
  h.sum += seconds;
}

double Metrics::value(const std::string& name, const Labels& labels) const {
  const std::lock_guard lock{mutex_};
  const auto f = families_.find(name);
  if (f == families_.end()) return 0;
  const auto v = f->second.values.find(labels);
  return v == f->second.values.end() ? 0 : v->second;
}

std::string Metrics::render() const {
  const std::lock_guard lock{mutex_};
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + escape(f.help, false) + "\n";
    out += "# TYPE " + name + (f.type == Type::counter ? " counter\n" : f.type == Type::gauge ? " gauge\n" : " histogram\n");
    for (const auto& [labels, v] : f.values) out += name + labels_text(labels) + " " + number(v) + "\n";
    for (const auto& [labels, h] : f.histograms) {
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < kBounds.size(); ++i) {
        cumulative += h.buckets[i];
        out += name + "_bucket" + labels_text(labels, "le", number(kBounds[i])) + " " + std::to_string(cumulative) + "\n";
      }
      out += name + "_bucket" + labels_text(labels, "le", "+Inf") + " " + std::to_string(h.count) + "\n";
      out += name + "_sum" + labels_text(labels) + " " + number(h.sum) + "\n";
      out += name + "_count" + labels_text(labels) + " " + std::to_string(h.count) + "\n";
    }
  }
  return out;
}

}  // namespace cspm::core
