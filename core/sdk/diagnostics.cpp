// "Did you mean" suggestions, list joining and the one-line form of diagnostics.
#include <cspm/diagnostics.hpp>

#include <algorithm>
#include <numeric>

namespace cspm {
namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  std::iota(prev.begin(), prev.end(), 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string suggest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best.empty() ? std::string{} : "Did you mean \"" + best + "\"?";
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string format_diagnostic(const Diagnostic& d) {
  std::string out;
  if (!d.file.empty()) {
    out += d.file;
    if (d.line > 0) out += ':' + std::to_string(d.line) + ':' + std::to_string(d.column);
    out += ": ";
  }
  out += d.level == Diagnostic::Level::error ? "error" : "warning";
  if (!d.code.empty()) out += '[' + d.code + ']';
  out += ": ";
  if (!d.path.empty()) out += d.path + ": ";
  return out + d.message;
}

}  // namespace cspm
