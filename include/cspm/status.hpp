// Success or a human-readable failure: what stages return instead of throwing.
#pragma once
#include <string>
#include <utility>

namespace cspm {

/// Error policy: stages never throw across the plugin boundary. Expected failures (bad input
/// file, unreachable tracker) come back as a failed Status whose message is shown to the
/// operator as is; cspmd still catches anything thrown and turns it into a failed run.
class [[nodiscard]] Status {
 public:
  static Status success() { return Status{}; }
  static Status failure(std::string message) { return Status{std::move(message)}; }

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const std::string& message() const noexcept { return message_; }

 private:
  Status() = default;
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}
  bool failed_ = false;
  std::string message_;
};

}  // namespace cspm
