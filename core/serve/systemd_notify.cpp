// sd_notify(3) messages; a failure to notify is not the daemon's failure.
#include "systemd_notify.hpp"

#include <ctime>

#include <systemd/sd-daemon.h>

namespace cspm::core {
namespace {

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n') c = ' ';
  return s;
}

void send(const std::string& message) { ::sd_notify(0, message.c_str()); }

}  // namespace

void SystemdNotifier::ready(const std::string& s) { send("READY=1\nSTATUS=" + one_line(s)); }

void SystemdNotifier::reloading() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const auto usec = static_cast<unsigned long long>(now.tv_sec) * 1'000'000ull + static_cast<unsigned long long>(now.tv_nsec) / 1000;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void SystemdNotifier::reloaded(const std::string& s) { send("READY=1\nSTATUS=" + one_line(s)); }
void SystemdNotifier::stopping() { send("STOPPING=1\nSTATUS=stopping"); }
void SystemdNotifier::watchdog() { send("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> SystemdNotifier::watchdog_interval() {
  std::uint64_t usec = 0;
  if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds{usec / 2};
}

}  // namespace cspm::core
