// Load generator for `cspmd serve`: posts an NDJSON file of EventBridge events as Amazon Data
// Firehose HTTP endpoint requests (base64 records, a few MB each) over several keep-alive
// connections, and reports events/s, request latency percentiles and the daemon's RSS.
//
//   firehose_load --url http://127.0.0.1:PORT --key KEY --file day.ndjson [--batch-bytes N]
//                 [--connections N] [--gzip] [--pid DAEMON_PID] [--soak-seconds S]
//
// Bodies are built before the clock starts, so the figures are the daemon's. With
// --soak-seconds the file is sent again and again for that long (re-sent events are stale:
// the soak exercises parsing, the store and memory, not growth) and RSS is sampled every 30 s.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>
#include <zlib.h>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

namespace {

struct Batch {
  std::string body;
  std::size_t events = 0;
};

std::string gzip(const std::string& text) {
  z_stream z{};
  deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, text.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// One record per event, as EventBridge → Firehose delivers them.
std::vector<Batch> make_batches(const std::string& file, std::size_t batch_bytes, bool compress) {
  std::ifstream in(file);
  std::vector<Batch> out;
  std::string line, body;
  std::size_t events = 0, id = 0;
  const auto flush = [&] {
    if (!events) return;
    body += "]}";
    out.push_back({compress ? gzip(body) : std::move(body), events});
    body.clear();
    events = 0;
  };
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (!events) body = R"({"requestId":"load-)" + std::to_string(++id) + R"(","timestamp":1700000000000,"records":[)";
    else body += ',';
    line += '\n';
    std::string b64(beast::detail::base64::encoded_size(line.size()), '\0');
    b64.resize(beast::detail::base64::encode(b64.data(), line.data(), line.size()));
    body += R"({"data":")" + b64 + "\"}";
    ++events;
    if (body.size() >= batch_bytes) flush();
  }
  flush();
  return out;
}

std::size_t rss_kb(int pid, const char* field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  std::size_t value = 0;
  while (status >> key) {
    if (key == field) {
      status >> value;
      return value;
    }
    status.ignore(1 << 20, '\n');
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url, key, file;
  std::size_t batch_bytes = 4u << 20, connections = 4;
  bool compress = false;
  int pid = 0, soak_seconds = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&] { return i + 1 < argc ? std::string{argv[++i]} : std::string{}; };
    if (a == "--url") url = next();
    else if (a == "--key") key = next();
    else if (a == "--file") file = next();
    else if (a == "--batch-bytes") batch_bytes = std::stoul(next());
    else if (a == "--connections") connections = std::stoul(next());
    else if (a == "--gzip") compress = true;
    else if (a == "--pid") pid = std::stoi(next());
    else if (a == "--soak-seconds") soak_seconds = std::stoi(next());
    else return std::cerr << "unknown option " << a << '\n', 2;
  }
  const auto colon = url.rfind(':');
  const std::string host = url.substr(7, colon - 7), port = url.substr(colon + 1);
  std::cerr << "building Firehose requests from " << file << " ...\n";
  const auto batches = make_batches(file, batch_bytes, compress);
  std::size_t total_events = 0, total_bytes = 0;
  for (const auto& b : batches) total_events += b.events, total_bytes += b.body.size();
  std::cerr << batches.size() << " requests, " << total_events << " events, " << total_bytes / 1e6 << " MB"
            << (compress ? " gzip'd" : "") << ", " << connections << " connections\n";

  std::atomic<std::size_t> next_batch{0}, acked_events{0}, failed{0}, rounds_done{0};
  std::mutex mutex;
  std::vector<double> latencies;
  std::atomic<bool> done{false};
  std::vector<std::pair<int, std::size_t>> rss_series;
  const auto started = Clock::now();
  const auto deadline = started + std::chrono::seconds(soak_seconds);
  std::thread sampler([&] {
    for (int t = 0; pid && !done; ++t) {
      if (t % 300 == 0) rss_series.emplace_back(t / 10, rss_kb(pid, "VmRSS:"));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a sampler, not synchronisation
    }
  });
  std::vector<std::thread> workers;
  for (std::size_t c = 0; c < connections; ++c)
    workers.emplace_back([&] {
      asio::io_context io;
      beast::tcp_stream stream(io);
      stream.connect(asio::ip::tcp::resolver(io).resolve(host, port));
      beast::flat_buffer buffer;
      for (;;) {
        const std::size_t n = next_batch++;
        const std::size_t round = n / batches.size();
        if (round > 0 && (soak_seconds == 0 || Clock::now() >= deadline)) break;
        const Batch& b = batches[n % batches.size()];
        http::request<http::string_body> req{http::verb::post, "/firehose", 11};
        req.set(http::field::host, host);
        req.set(http::field::content_type, "application/json");
        req.set("X-Amz-Firehose-Access-Key", key);
        req.set("X-Amz-Firehose-Request-Id", "load-" + std::to_string(n));
        if (compress) req.set(http::field::content_encoding, "gzip");
        req.body() = b.body;
        req.prepare_payload();
        const auto t0 = Clock::now();
        http::response<http::string_body> res;
        beast::error_code ec;
        http::write(stream, req, ec);
        if (!ec) http::read(stream, buffer, res, ec);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (ec || res.result_int() != 200) {
          ++failed;
          std::cerr << "request " << n << ": " << (ec ? ec.message() : std::to_string(res.result_int()) + " " + res.body()) << '\n';
          if (ec) return;
          continue;
        }
        acked_events += b.events;
        std::lock_guard lock(mutex);
        latencies.push_back(ms);
      }
    });
  for (auto& w : workers) w.join();
  const double wall = std::chrono::duration<double>(Clock::now() - started).count();
  done = true;
  sampler.join();
  std::sort(latencies.begin(), latencies.end());
  const auto pct = [&](double p) { return latencies.empty() ? 0.0 : latencies[std::min(latencies.size() - 1, static_cast<std::size_t>(p * latencies.size()))]; };
  std::printf("{\"requests\": %zu, \"events_acked\": %zu, \"failed\": %zu, \"wall_s\": %.2f, \"events_per_s\": %.0f, "
              "\"mb_per_s\": %.1f, \"p50_ms\": %.1f, \"p99_ms\": %.1f, \"max_ms\": %.1f, \"daemon_rss_mb\": %.1f, "
              "\"daemon_peak_rss_mb\": %.1f, \"rss_series_mb\": [",
              latencies.size(), acked_events.load(), failed.load(), wall, acked_events / wall,
              static_cast<double>(total_bytes) * (static_cast<double>(acked_events) / static_cast<double>(total_events)) / 1e6 / wall,
              pct(0.5), pct(0.99), latencies.empty() ? 0.0 : latencies.back(),
              pid ? rss_kb(pid, "VmRSS:") / 1024.0 : 0.0, pid ? rss_kb(pid, "VmHWM:") / 1024.0 : 0.0);
  for (std::size_t i = 0; i < rss_series.size(); ++i)
    std::printf("%s[%d, %.1f]", i ? ", " : "", rss_series[i].first, rss_series[i].second / 1024.0);
  std::printf("]}\n");
  return failed ? 1 : 0;
}
