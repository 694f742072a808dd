// The daemon's HTTP routes: Firehose and NDJSON ingest, /healthz, /metrics.
#pragma once
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "batch_writer.hpp"
#include "http_listener.hpp"
#include "metrics.hpp"

namespace cspm::core {


struct IngestRoutesOptions {
  std::filesystem::path data_dir;        ///< the store and its ingest log
  /// The store's writer, shared with the daemon's runs (they drain it); made if not given.
  std::shared_ptr<BatchWriter> writer;
  std::vector<std::string> firehose_keys;  ///< accepted X-Amz-Firehose-Access-Key values
  std::vector<std::string> bearer_tokens;  ///< accepted for POST /ingest (NDJSON)
  std::size_t max_body_bytes = 64u << 20;
  /// What /healthz reports besides "ok" (e.g. pipeline files that failed to reload).
  std::function<std::vector<std::string>()> health_problems;
  /// Operator log (level, message) for what the answer does not say (a store error).
  std::function<void(std::string_view level, const std::string& message)> log;
};

/// POST /firehose (the Firehose HTTP endpoint contract), POST /ingest (NDJSON with a
/// bearer token), GET /healthz, GET /metrics. A batch is answered 200 only once committed:
/// a Firehose batch to the store's ingest log, an NDJSON one to the findings.
Router make_ingest_routes(IngestRoutesOptions options, Metrics& metrics);
/// The writer for options.data_dir, counting what it stores and logging its failures.
std::shared_ptr<BatchWriter> make_ingest_writer(const IngestRoutesOptions& options, Metrics& metrics,
                                               BatchWriterOptions writer = {});
/// Answers for requests the listener refuses unread (too large): Firehose's JSON on /firehose.
Rejecter make_ingest_rejecter(Metrics& metrics);
/// Refuses /firehose and /ingest requests with a wrong method or credentials from their
/// header, before a body is read.
Admitter make_ingest_admitter(IngestRoutesOptions options, Metrics& metrics);
/// `Authorization: Bearer <one of tokens>` (scheme in any case; compared in constant time).
bool bearer_token_matches(const HttpRequestMessage& request, const std::vector<std::string>& tokens);

}  // namespace cspm::core
