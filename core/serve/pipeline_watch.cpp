// inotify events on an Asio descriptor; a steady timer coalesces them.
#include "pipeline_watch.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <sys/inotify.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace cspm::core {

namespace asio = boost::asio;

struct PipelineWatch::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, std::filesystem::path dir, std::chrono::milliseconds d, std::function<void()> cb)
      : descriptor(io), timer(io), directory(std::move(dir)), debounce(d), on_change(std::move(cb)) {}

  asio::posix::stream_descriptor descriptor;
  asio::steady_timer timer;
  std::filesystem::path directory;
  std::chrono::milliseconds debounce;
  std::function<void()> on_change;
  std::array<char, 16 * 1024> buffer{};
  int watch = -1;
  bool stopped = false;

  // Saves (close after write), renames in and out (editors, `git checkout`, ConfigMap
  // symlink swaps), deletes; and the directory itself being moved or removed.
  static constexpr std::uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                                         IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

  void add_watch() { watch = ::inotify_add_watch(descriptor.native_handle(), directory.c_str(), kMask); }

  void read() {
    descriptor.async_read_some(asio::buffer(buffer), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
      if (ec || self->stopped) return;
      bool gone = false;
      for (std::size_t at = 0; at + sizeof(inotify_event) <= n;) {
        const auto* e = reinterpret_cast<const inotify_event*>(self->buffer.data() + at);
        gone |= (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) != 0;
        at += sizeof(inotify_event) + e->len;
      }
      // The directory was replaced: watch whatever now has its name (if anything yet).
      if (gone) {
        self->watch = -1;
        self->add_watch();
      }
      self->settle();
      self->read();
    });
  }

  void settle() {
    timer.expires_after(debounce);
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->stopped) return;
      if (self->watch < 0) self->add_watch();  // it may have come back
      self->on_change();
      // Still gone: no event will come to retry, so look again until it is back.
      if (self->watch < 0) self->settle_later();
    });
  }
  void settle_later() {
    timer.expires_after(std::max(debounce, std::chrono::milliseconds(5000)));
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->stopped) return;
      self->add_watch();
      if (self->watch >= 0) self->on_change();  // back: load what is there now
      else self->settle_later();
    });
  }
};

PipelineWatch::PipelineWatch(asio::io_context& io, std::filesystem::path directory, std::chrono::milliseconds debounce,
                             std::function<void()> on_change)
    : impl_(std::make_shared<Impl>(io, std::move(directory), debounce, std::move(on_change))) {}

PipelineWatch::~PipelineWatch() { stop(); }

std::string PipelineWatch::start() {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return std::string{"inotify: "} + std::strerror(errno);
  impl_->descriptor.assign(fd);
  impl_->add_watch();
  if (impl_->watch < 0) return "inotify on " + impl_->directory.string() + ": " + std::strerror(errno);
  impl_->read();
  return {};
}

void PipelineWatch::stop() {
  impl_->stopped = true;
  boost::system::error_code ignored;
  impl_->timer.cancel();
  impl_->descriptor.close(ignored);
}

}  // namespace cspm::core
