// Log lines: severity prefix, control characters escaped (log injection), one write each.
#include "logger.hpp"

#include <cstdio>
#include <cstdlib>

#include <sys/stat.h>

namespace cspm::core {

Logger::Logger(std::ostream& out, LogLevel level, bool journal) : out_(out), level_(level), journal_(journal) {}

bool Logger::journal_attached() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  return ::fstat(2, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

void Logger::log(LogLevel level, std::string_view message) {
  static constexpr const char* kJournal[] = {"<7>", "<6>", "<4>", "<3>"};
  static constexpr const char* kText[] = {"debug: ", "info: ", "warning: ", "error: "};
  std::string line;
  line.reserve(message.size() + 12);
  // A finding's title or a tracker's answer can hold newlines: one event stays one line.
  for (const char c : message) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') line += "\\n";
    else if (c == '\r') line += "\\r";
    else if (u < 0x20 || u == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      line += hex;
    } else line += c;
  }
  std::lock_guard lock(mutex_);
  if (level < level_) return;
  out_ << (journal_ ? kJournal : kText)[static_cast<int>(level)] << line << '\n';
  out_.flush();
}

}  // namespace cspm::core
