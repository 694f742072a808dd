// Route handlers: authentication, decoding, the committed ingest, and the answers each
// contract requires.
#include "ingest_routes.hpp"

#include <chrono>
#include <mutex>

#include <boost/beast/core/string.hpp>
#include <nlohmann/json.hpp>

#include <cspm/time.hpp>

#include "../store/sqlite_store.hpp"
#include "batch_writer.hpp"

namespace cspm::core {
namespace {

std::string_view header(const HttpRequestMessage& req, std::string_view name) {
  const auto v = req[boost::beast::string_view{name.data(), name.size()}];
  return {v.data(), v.size()};
}

std::string target_path(const HttpRequestMessage& req) {
  return std::string{req.target().substr(0, req.target().find('?'))};
}

HttpResponseMessage firehose_answer(const HttpRequestMessage& req, Metrics& metrics, http::status status,
                                    const std::string& error, std::string_view id) {
  metrics.add("cspm_firehose_requests_total", "Firehose requests by HTTP status", 1,
              {{"code", std::to_string(static_cast<int>(status))}});
  return make_response(req, status, firehose_response(id, system_now(), error));
}

// What the header alone decides for /firehose: method and access key.
std::optional<HttpResponseMessage> firehose_refusal(const HttpRequestMessage& req, const IngestRoutesOptions& o, Metrics& metrics) {
  const std::string_view id = header(req, "X-Amz-Firehose-Request-Id");
  if (req.method() != http::verb::post) return firehose_answer(req, metrics, http::status::method_not_allowed, "use POST", id);
  if (!firehose_key_matches(header(req, "X-Amz-Firehose-Access-Key"), o.firehose_keys))
    return firehose_answer(req, metrics, http::status::unauthorized, "access key not accepted", id);
  return std::nullopt;
}

HttpResponseMessage firehose(const HttpRequestMessage& req, const IngestRoutesOptions& o, Metrics& metrics, BatchWriter& writer) {
  const std::string request_id{header(req, "X-Amz-Firehose-Request-Id")};
  const auto answer = [&](http::status status, const std::string& error, const std::string& id) {
    return firehose_answer(req, metrics, status, error, id);
  };
  if (auto refusal = firehose_refusal(req, o, metrics)) return std::move(*refusal);
  const std::string encoding{req[http::field::content_encoding]};
  if (!encoding.empty() && encoding != "gzip")
    return answer(http::status::unsupported_media_type, "Content-Encoding " + encoding + " is not supported", request_id);
  FirehoseBatch batch;
  FirehoseLimits limits;
  limits.max_body_bytes = o.max_body_bytes;
  if (const FirehoseVerdict v = read_firehose_request(req.body(), encoding == "gzip", limits, batch); v.status != 200)
    return answer(static_cast<http::status>(v.status), v.error, batch.request_id.empty() ? request_id : batch.request_id);
  const std::size_t received = batch.documents.size();
  // Logged is committed: the fold that stores the findings follows within fold_delay, and
  // a stop or a crash leaves the log to the next start.
  const auto result = writer.log({"firehose " + batch.request_id, std::move(batch.documents), std::move(batch.bad_records)});
  metrics.add("cspm_events_received_total", "Events (documents) received", static_cast<double>(received),
              {{"endpoint", "firehose"}});
  if (!result.status.ok()) {  // not acknowledged: Firehose sends the batch again
    if (o.log) o.log("error", "firehose " + batch.request_id + " not stored: " + result.status.message());
    return answer(http::status::internal_server_error, "not stored: the ingest log could not take the batch", batch.request_id);
  }
  return answer(http::status::ok, "", batch.request_id);
}

std::string json_error(const std::string& why) { return nlohmann::json{{"error", why}}.dump(); }

HttpResponseMessage ndjson_answer(const HttpRequestMessage& req, Metrics& metrics, http::status status, const nlohmann::json& body) {
  metrics.add("cspm_ndjson_requests_total", "NDJSON ingest requests by HTTP status", 1,
              {{"code", std::to_string(static_cast<int>(status))}});
  return make_response(req, status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::optional<HttpResponseMessage> ndjson_refusal(const HttpRequestMessage& req, const IngestRoutesOptions& o, Metrics& metrics) {
  if (req.method() != http::verb::post)
    return ndjson_answer(req, metrics, http::status::method_not_allowed, {{"error", "use POST"}});
  if (!bearer_token_matches(req, o.bearer_tokens)) {
    auto r = ndjson_answer(req, metrics, http::status::unauthorized, {{"error", "a valid bearer token is required"}});
    r.set(http::field::www_authenticate, "Bearer");
    return r;
  }
  return std::nullopt;
}

// POST /ingest: NDJSON (or gzip'd NDJSON) of events or findings, with a bearer token.
HttpResponseMessage ndjson(const HttpRequestMessage& req, const IngestRoutesOptions& o, Metrics& metrics, BatchWriter& writer) {
  const auto answer = [&](http::status status, const nlohmann::json& body) { return ndjson_answer(req, metrics, status, body); };
  if (auto refusal = ndjson_refusal(req, o, metrics)) return std::move(*refusal);
  std::string inflated;
  std::string_view body = req.body();
  const std::string encoding{req[http::field::content_encoding]};
  if (encoding == "gzip") {
    std::string why;
    if (!gunzip(body, o.max_body_bytes, inflated, why))
      return answer(why.find("larger than") != std::string::npos ? http::status::payload_too_large : http::status::bad_request,
                    {{"error", "request body: " + why}});
    body = inflated;
  } else if (!encoding.empty()) {
    return answer(http::status::unsupported_media_type, {{"error", "Content-Encoding " + encoding + " is not supported"}});
  }
  std::vector<std::string> documents;
  split_lines(body, documents);
  const std::size_t received = documents.size();
  const auto r = writer.write({"http ingest", std::move(documents), {}});
  metrics.add("cspm_events_received_total", "Events (documents) received", static_cast<double>(received),
              {{"endpoint", "ndjson"}});
  metrics.add("cspm_findings_stored_total", "Finding versions newer than the stored state",
              static_cast<double>(r.counts.findings_new + r.counts.findings_updated));
  metrics.add("cspm_records_quarantined_total", "Records kept in the quarantine", static_cast<double>(r.counts.quarantined));
  if (!r.status.ok()) {
    if (o.log) o.log("error", "NDJSON batch not stored: " + r.status.message());
    return answer(http::status::internal_server_error, {{"error", "not stored: the store could not take the batch"}});
  }
  return answer(http::status::ok, {{"events", r.counts.events}, {"findings_new", r.counts.findings_new},
                                   {"findings_updated", r.counts.findings_updated}, {"stale", r.counts.stale},
                                   {"quarantined", r.counts.quarantined}});
}

}  // namespace

bool bearer_token_matches(const HttpRequestMessage& req, const std::vector<std::string>& tokens) {
  const std::string_view given = header(req, "Authorization");
  // The scheme is case-insensitive (RFC 9110 §11.1).
  if (given.size() < 7 || !boost::beast::iequals(boost::beast::string_view{given.data(), 7}, "Bearer ")) return false;
  return firehose_key_matches(given.substr(7), tokens);
}

Admitter make_ingest_admitter(IngestRoutesOptions options, Metrics& metrics) {
  return [options = std::move(options), &metrics](const HttpRequestMessage& req) -> std::optional<HttpResponseMessage> {
    const std::string target = target_path(req);
    if (target == "/firehose") return firehose_refusal(req, options, metrics);
    if (target == "/ingest") return ndjson_refusal(req, options, metrics);
    return std::nullopt;
  };
}

std::shared_ptr<BatchWriter> make_ingest_writer(const IngestRoutesOptions& options, Metrics& metrics, BatchWriterOptions wo) {
  wo.on_folded = [&metrics](const store::IngestCounts& c) {
    metrics.add("cspm_findings_stored_total", "Finding versions newer than the stored state",
                static_cast<double>(c.findings_new + c.findings_updated));
    metrics.add("cspm_records_quarantined_total", "Records kept in the quarantine", static_cast<double>(c.quarantined));
    metrics.add("cspm_ingest_log_folds_total", "Commits that stored logged batches' findings", 1);
  };
  wo.on_error = [log = options.log, &metrics](const std::string& m) {
    metrics.add("cspm_ingest_log_errors_total", "Ingest log errors: appends, removals, folds (each retried) and reading it at the start", 1);
    if (log) log("error", m);
  };
  return std::make_shared<BatchWriter>(options.data_dir, std::move(wo));
}

Router make_ingest_routes(IngestRoutesOptions options, Metrics& metrics) {
  auto writer = options.writer ? options.writer : make_ingest_writer(options, metrics);
  return [o = std::move(options), &metrics, writer](const HttpRequestMessage& req) {
    const auto started = std::chrono::steady_clock::now();
    const std::string target = target_path(req);
    HttpResponseMessage res;
    if (target == "/firehose") {
      res = firehose(req, o, metrics, *writer);
    } else if (target == "/ingest") {
      res = ndjson(req, o, metrics, *writer);
    } else if (target == "/healthz") {
      const std::vector<std::string> problems = o.health_problems ? o.health_problems() : std::vector<std::string>{};
      res = make_response(req, problems.empty() ? http::status::ok : http::status::service_unavailable,
                          nlohmann::json{{"status", problems.empty() ? "ok" : "degraded"}, {"problems", problems}}
                              .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } else if (target == "/metrics") {
      metrics.set("cspm_ingest_log_batches", "Acknowledged batches whose findings are not stored yet",
                  static_cast<double>(writer->logged_batches()));
      metrics.set("cspm_ingest_log_findings_held", "Findings of acknowledged batches not stored yet whose bodies are held in memory (at the limit, logging waits)",
                  static_cast<double>(writer->held_findings()));
      res = make_response(req, http::status::ok, metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
    } else {
      res = make_response(req, http::status::not_found, json_error("no such endpoint"));
    }
    metrics.observe("cspm_http_request_duration_seconds", "HTTP request duration by route",
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), {{"route", target == "/firehose" || target == "/ingest" || target == "/healthz" || target == "/metrics" ? target : "other"}});
    return res;
  };
}

Rejecter make_ingest_rejecter(Metrics& metrics) {
  return [&metrics](const HttpRequestMessage& req, http::status status, const std::string& why) {
    if (req.target().substr(0, req.target().find('?')) != "/firehose")
      return make_response(req, status, json_error(why));
    metrics.add("cspm_firehose_requests_total", "Firehose requests by HTTP status", 1,
                {{"code", std::to_string(static_cast<int>(status))}});
    const auto id = req["X-Amz-Firehose-Request-Id"];
    return make_response(req, status, firehose_response(std::string_view{id.data(), id.size()}, system_now(), why));
  };
}

}  // namespace cspm::core
