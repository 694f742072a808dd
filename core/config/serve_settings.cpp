// [serve] keys one by one, each checked for type and range, secrets only as references.
#include "serve_settings.hpp"

#include <charconv>

#include <cspm/diagnostics.hpp>
#include <cspm/time.hpp>

#include "params.hpp"
#include "schema_check.hpp"

namespace cspm::core {
namespace {

const std::vector<std::string> kKeys{"listen", "log_level", "firehose_access_keys", "ingest_tokens", "api_tokens",
                                     "max_body_bytes", "max_connections", "http_workers", "run_workers",
                                     "request_timeout", "reload_debounce", "prune_every", "ingest_fold_delay",
                                     "tls_certificate", "tls_private_key"};

// "127.0.0.1:8080", "[::1]:8080", ":8080" (every IPv4 address).
bool parse_listen(std::string_view text, std::string& address, unsigned short& port) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view host = text.substr(0, colon);
  const std::string_view digits = text.substr(colon + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size() || value > 65535) return false;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  address = host.empty() ? "0.0.0.0" : std::string{host};
  port = static_cast<unsigned short>(value);
  return true;
}

}  // namespace

void read_serve_settings(const toml::table& table, const std::filesystem::path& base, ServeSettings& out,
                         const SettingError& error) {
  for (const auto& [key, node] : table) {
    const std::string k{key.str()};
    const std::string path = "serve." + k;
    const auto bad = [&](const std::string& message) { error("E007", path, node.source(), message, {}); };
    const auto count = [&](auto& into, std::int64_t min, std::int64_t max) {
      const auto* v = node.as_integer();
      if (!v || v->get() < min || v->get() > max)
        return bad("expected a whole number from " + std::to_string(min) + " to " + std::to_string(max));
      into = static_cast<std::remove_reference_t<decltype(into)>>(v->get());
    };
    const auto duration = [&](std::chrono::milliseconds& into) {
      const auto* s = node.as_string();
      const auto d = s ? parse_duration(s->get()) : std::nullopt;
      if (!d || d->count() <= 0) return bad("expected a duration like \"500ms\", \"60s\" or \"1h\"");
      into = *d;
    };
    const auto secrets = [&](std::vector<nlohmann::json>& into) {
      const auto* list = node.as_array();
      if (!list) return bad("expected a list of secret references, e.g. [{ credential = \"firehose-key\" }]");
      for (std::size_t i = 0; i < list->size(); ++i) {
        const nlohmann::json ref = toml_to_json(*list->get(i));
        if (const std::string problem = secret_problem(ref); !problem.empty())
          error("E013", path + "[" + std::to_string(i) + "]", list->get(i)->source(), problem, {});
        else
          into.push_back(ref);
      }
    };
    if (k == "listen") {
      const auto* s = node.as_string();
      if (!s || !parse_listen(s->get(), out.address, out.port))
        bad("expected \"ADDRESS:PORT\", e.g. \"127.0.0.1:8080\" or \"[::1]:8080\"");
    } else if (k == "log_level") {
      const auto* s = node.as_string();
      const std::string v = s ? s->get() : "";
      if (v == "debug") out.log_level = LogLevel::debug;
      else if (v == "info") out.log_level = LogLevel::info;
      else if (v == "warning") out.log_level = LogLevel::warning;
      else if (v == "error") out.log_level = LogLevel::error;
      else bad("expected one of debug, info, warning, error");
    } else if (k == "firehose_access_keys") secrets(out.firehose_access_keys);
    else if (k == "ingest_tokens") secrets(out.ingest_tokens);
    else if (k == "api_tokens") secrets(out.api_tokens);
    else if (k == "max_body_bytes") count(out.max_body_bytes, 1024, std::int64_t{1} << 32);
    else if (k == "max_connections") count(out.max_connections, 1, 100'000);
    else if (k == "http_workers") count(out.http_workers, 1, 64);
    else if (k == "run_workers") count(out.run_workers, 1, 64);
    else if (k == "request_timeout") duration(out.request_timeout);
    else if (k == "reload_debounce") duration(out.reload_debounce);
    else if (k == "prune_every") duration(out.prune_every);
    else if (k == "ingest_fold_delay") duration(out.ingest_fold_delay);
    else if (k == "tls_certificate") {
      if (const auto* s = node.as_string(); s && !s->get().empty()) out.tls_certificate = base / s->get();
      else bad("expected the path of a PEM certificate chain");
    } else if (k == "tls_private_key") {
      const nlohmann::json ref = toml_to_json(node);
      if (const std::string problem = secret_problem(ref); !problem.empty()) error("E013", path, node.source(), problem, {});
      else out.tls_private_key = ref;
    }
    else {
      const std::string hint = suggest(k, kKeys);
      error("E006", path, key.source(), "unknown setting", hint.empty() ? "Settings: " + join(kKeys) : hint);
    }
  }
  if (out.tls_certificate.empty() != out.tls_private_key.is_null())
    error("E008", "serve", table.source(), "tls_certificate and tls_private_key go together (both, or neither for plain HTTP)", {});
}

}  // namespace cspm::core
