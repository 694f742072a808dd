// Chunks of work from one thread to another, with back-pressure and cancellation.
#pragma once
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace cspm::store {

/// At most four chunks wait: the producer blocks beyond that. give() throws once the
/// consumer has cancelled (it failed), so the producer stops; take() returns false once the
/// producer has closed and everything was taken.
template <class T>
class Handoff {
 public:
  void give(std::vector<T>&& chunk) {
    std::unique_lock lock{mutex_};
    room_.wait(lock, [&] { return chunks_.size() < 4 || cancelled_; });
    if (cancelled_) throw std::runtime_error("cancelled");
    chunks_.push_back(std::move(chunk));
    ready_.notify_one();
  }
  bool take(std::vector<T>& chunk) {
    std::unique_lock lock{mutex_};
    ready_.wait(lock, [&] { return !chunks_.empty() || closed_; });
    if (chunks_.empty()) return false;
    chunk = std::move(chunks_.front());
    chunks_.pop_front();
    room_.notify_one();
    return true;
  }
  void close() {
    const std::lock_guard lock{mutex_};
    closed_ = true;
    ready_.notify_all();
  }
  void cancel() {
    const std::lock_guard lock{mutex_};
    cancelled_ = true;
    room_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::deque<std::vector<T>> chunks_;
  bool closed_ = false, cancelled_ = false;
};

}  // namespace cspm::store
