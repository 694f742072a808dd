// Telling systemd how the daemon is doing (Type=notify): READY, RELOADING, STOPPING, STATUS
// and watchdog pings, through libsystemd's sd_notify.
#pragma once
#include <chrono>
#include <optional>
#include <string>

namespace cspm::core {

class SystemdNotifier {
 public:
  // Outside systemd ($NOTIFY_SOCKET unset) every call is a no-op.
  void ready(const std::string& status);
  /// Reload starts (with the CLOCK_MONOTONIC time systemd ≥ 253 asks for) / ends.
  void reloading();
  void reloaded(const std::string& status);
  void stopping();
  void watchdog();
  /// How often to ping: half of WatchdogSec=, or nothing if the watchdog is off.
  static std::optional<std::chrono::microseconds> watchdog_interval();
};

}  // namespace cspm::core
