// Configuration problems, gathered and reported all at once.
#pragma once
#include <string>
#include <vector>

namespace cspm {

struct Diagnostic {
  enum class Level { error, warning };
  Level level = Level::error;
  std::string code;     ///< stable, greppable: E006, W001…
  std::string path;     ///< dotted path relative to the stage's options ("where.severity");
                        ///< the host prefixes the component path and adds file:line:col
  std::string message;
  std::string hint;     ///< "Did you mean …?", allowed values…
  std::string file;     ///< filled by the host (or by a stage that read a file of its own)
  int line = 0;
  int column = 0;
};

using Diagnostics = std::vector<Diagnostic>;

inline Diagnostic make_error(std::string code, std::string path, std::string message,
                             std::string hint = {}) {
  return Diagnostic{Diagnostic::Level::error, std::move(code), std::move(path), std::move(message),
                    std::move(hint), {}, 0, 0};
}

inline bool has_errors(const Diagnostics& diags) {
  for (const auto& d : diags)
    if (d.level == Diagnostic::Level::error) return true;
  return false;
}

/// "Did you mean …?" for `word` among `candidates`, or empty when nothing is close.
std::string suggest(const std::string& word, const std::vector<std::string>& candidates);

/// "a, b, c" for hints that list allowed values.
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

/// "file:line:col: error[E006]: path: message" (without the hint), as validate prints it.
std::string format_diagnostic(const Diagnostic& d);

}  // namespace cspm
