// The daemon's log: one line per event on stderr, with the severity prefix journald reads.
#pragma once
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

#include <cspm/context.hpp>

namespace cspm::core {

/// Thread-safe. Under systemd (stderr connected to the journal, $JOURNAL_STREAM set) each
/// line starts with "<N>" (sd-daemon(3) levels: journald stores it as the priority);
/// elsewhere with "error: ", "warning: "… for people reading a terminal.
class Logger {
 public:
  explicit Logger(std::ostream& out, LogLevel level = LogLevel::info, bool journal = journal_attached());
  void log(LogLevel level, std::string_view message);
  void error(std::string_view m) { log(LogLevel::error, m); }
  void warning(std::string_view m) { log(LogLevel::warning, m); }
  void info(std::string_view m) { log(LogLevel::info, m); }
  void debug(std::string_view m) { log(LogLevel::debug, m); }

  /// True when $JOURNAL_STREAM names the device and inode of our stderr.
  static bool journal_attached();

 private:
  std::mutex mutex_;
  std::ostream& out_;
  LogLevel level_;
  bool journal_;
};

}  // namespace cspm::core
