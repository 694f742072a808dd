// Telling systemd how the daemon is doing (Type=notify): READY, RELOADING, STOPPING, STATUS
// and watchdog pings, through libsystemd's sd_notify.
#pragma once
#include <chrono>
#include <optional>
#include <string>

namespace cspm::core {

class SystemdNotifier {
 public:
  /// Whether $NOTIFY_SOCKET is set (outside systemd every call is a no-op).
  bool active() const;
  void ready(const std::string& status);
  /// Reload starts (with the CLOCK_MONOTONIC time systemd ≥ 253 asks for) / ends.
  void reloading();
  void reloaded(const std::string& status);
  void stopping();
  void status(const std::string& status);
  void watchdog();
  /// How often to ping: half of WatchdogSec=, or nothing if the watchdog is off.
  static std::optional<std::chrono::microseconds> watchdog_interval();
};

}  // namespace cspm::core
