// A lock for critical sections of a microsecond or less (internal to the SDK library).
#pragma once
#include <atomic>
#include <thread>

namespace cspm::detail {

/// A waiter spins rather than sleeping in the kernel (std::mutex's futex calls cost more than
/// such waits), and yields only when the holder seems to have lost its CPU.
class SpinLock {
 public:
  void lock() noexcept {
    while (locked_.exchange(true, std::memory_order_acquire))
      for (unsigned spins = 0; locked_.load(std::memory_order_relaxed); ++spins) {
        if (spins >= 4096) {
          std::this_thread::yield();
          spins = 0;
        }
        relax();
      }
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

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
