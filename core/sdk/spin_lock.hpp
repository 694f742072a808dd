// A lock for critical sections of a microsecond or less (internal to the SDK library).
#pragma once
#include <atomic>

namespace cspm::detail {

/// A waiter spins rather than sleeping in the kernel (std::mutex's futex calls cost more than
/// such waits), and sleeps only when the holder seems to have lost its CPU (on a VM the
/// hypervisor may pause it, or it may be faulting in memory).
class SpinLock {
 public:
  void lock() noexcept {
    while (locked_.exchange(true, std::memory_order_acquire))
      for (unsigned spins = 0; locked_.load(std::memory_order_relaxed); ++spins) {
        if (spins >= 4096) {
          locked_.wait(true, std::memory_order_relaxed);
          spins = 0;
        } else {
          relax();
        }
      }
  }
  void unlock() noexcept {
    locked_.store(false, std::memory_order_release);
    locked_.notify_one();  // a system call only when a waiter sleeps
  }

 private:
  static void relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
  std::atomic<bool> locked_{false};
};

}  // namespace cspm::detail
