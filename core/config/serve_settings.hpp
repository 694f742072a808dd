// The [serve] table of cspmd.toml: what `cspmd serve` listens on, whom it lets in, how it logs.
#pragma once
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include <cspm/context.hpp>

namespace cspm::core {

struct ServeSettings {
  std::string address = "127.0.0.1";  ///< from listen = "ADDRESS:PORT" ("[::1]:8080" for IPv6)
  unsigned short port = 8080;
  /// Secret references ({ env | file | credential = "…" }), resolved when serving starts.
  std::vector<nlohmann::json> firehose_access_keys;  ///< X-Amz-Firehose-Access-Key values
  std::vector<nlohmann::json> ingest_tokens;         ///< bearer tokens for POST /ingest
  std::vector<nlohmann::json> api_tokens;            ///< bearer tokens for POST /api/… (triggers)
  /// HTTPS (Firehose delivers to https:// endpoints only): the certificate chain (PEM file)
  /// and the private key as a secret reference. Both empty: plain HTTP (behind a proxy).
  std::filesystem::path tls_certificate;
  nlohmann::json tls_private_key;
  LogLevel log_level = LogLevel::info;
  std::size_t max_body_bytes = 64u << 20;
  std::size_t max_connections = 512;
  unsigned http_workers = 4;  ///< more than cores: requests waiting for the ingest log share its commit
  unsigned run_workers = 2;  ///< pipelines running at once (never two runs of one pipeline)
  std::chrono::milliseconds request_timeout{60'000};
  std::chrono::milliseconds reload_debounce{500};   ///< after the last change to a pipeline file
  std::chrono::milliseconds prune_every{3'600'000};  ///< observation retention, enforced this often
  /// The longest an acknowledged Firehose batch waits in the ingest log before its findings
  /// are stored (sooner when much has gathered, and always before a pipeline run).
  std::chrono::milliseconds ingest_fold_delay{500};
};

/// Reads [serve]; every problem is reported through `error(code, dotted key, where, message,
/// hint)` and the defaults stay for that setting.
using SettingError = std::function<void(std::string code, std::string key, const toml::source_region& at,
                                        std::string message, std::string hint)>;
void read_serve_settings(const toml::table& table, const std::filesystem::path& base, ServeSettings& out,
                         const SettingError& error);

}  // namespace cspm::core
