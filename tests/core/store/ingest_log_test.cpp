// The ingest log: entries read back as the batches they were made from (findings as text or
// packed with the store's dictionary, rejected records), removal in the appending commit,
// and an entry that cannot be read becoming one record for the quarantine.
#define BOOST_TEST_MODULE ingest_log
#include <boost/test/unit_test.hpp>

#include "asff_json.hpp"
#include "store/ingest_log.hpp"
#include "store/raw_codec.hpp"
#include "store/sqlite_store.hpp"
#include "store_queries.hpp"
#include "support.hpp"

using namespace cspm;
using namespace cspm::store;
using nlohmann::json;

namespace {

std::vector<json> sent_findings(int n) {
  std::vector<json> sent;
  for (int i = 0; i < n; ++i) sent.push_back(test::titled_finding(i));
  return sent;
}

std::vector<std::string> documents_of(const std::vector<json>& sent) {
  std::vector<std::string> docs;
  for (const json& f : sent) docs.push_back(f.dump());
  return docs;
}

// The batch read back holds `sent`, in order, as parsed findings with their JSON.
void check_findings(const ParsedBatch& batch, const std::vector<json>& sent) {
  BOOST_REQUIRE_EQUAL(batch.findings.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    BOOST_TEST(json::parse(batch.findings[i].body->finding.raw()) == sent[i]);
    BOOST_TEST(batch.findings[i].body->finding.finding().id == sent[i]["Id"].get<std::string>());
    BOOST_TEST(batch.findings[i].version.position == i);
  }
}

std::vector<std::int64_t> append(IngestLog& log, const ParsedBatch& batch, Timestamp at = 1000,
                                 std::span<const std::int64_t> remove = {}) {
  const std::string entry = encode_log_entry(batch);
  const IngestLog::Append a{batch.source, entry};
  return log.commit({&a, 1}, at, remove);
}

}  // namespace

BOOST_AUTO_TEST_CASE(text_findings_and_rejected_records_read_back_as_they_were_logged) {
  test::TempDir dir;
  const std::vector<json> sent = sent_findings(3);
  std::vector<std::string> docs = documents_of(sent);
  docs.push_back("{not json");
  const ParsedBatch batch = parse_batch("firehose r1", docs, nullptr);
  BOOST_REQUIRE_EQUAL(batch.rejected.size(), 1u);
  IngestLog log{dir.path()};
  const auto seqs = append(log, batch, 1234);
  BOOST_REQUIRE_EQUAL(seqs.size(), 1u);

  const std::vector<LoggedBatch> read = log.read(0, 10);
  BOOST_REQUIRE_EQUAL(read.size(), 1u);
  BOOST_TEST(read[0].seq == seqs[0]);
  BOOST_TEST(read[0].received_at == 1234);
  BOOST_TEST(read[0].batch.source == "firehose r1");
  check_findings(read[0].batch, sent);
  BOOST_REQUIRE_EQUAL(read[0].batch.rejected.size(), 1u);
  BOOST_TEST(read[0].batch.rejected[0].line == 4u);
  BOOST_TEST(read[0].batch.rejected[0].reason == batch.rejected[0].reason);
  BOOST_TEST(read[0].batch.rejected[0].record == "{not json");
  BOOST_TEST(read[0].batch.rejected[0].record_bytes == 9u);
}

BOOST_AUTO_TEST_CASE(packed_findings_are_read_back_with_the_stores_dictionary) {
  test::TempDir dir;
  const std::vector<json> sent = sent_findings(200);
  const std::vector<std::string> docs = documents_of(sent);
  auto dictionary = std::make_shared<RawDictionary>();
  {
    SqliteStore s{dir.path()};
    auto w = s.begin_write(1, 1);
    dictionary->bytes = RawCodec::train(docs);
    dictionary->id = w->add_raw_dictionary(dictionary->bytes);
    w->commit();
  }
  const ParsedBatch batch = parse_batch("firehose packed", docs, dictionary);
  for (const ReceivedFinding& f : batch.findings) BOOST_TEST(f.body->dict == dictionary->id);
  IngestLog log{dir.path()};
  append(log, batch);
  const std::vector<LoggedBatch> read = log.read(0, 10);
  BOOST_REQUIRE_EQUAL(read.size(), 1u);
  check_findings(read[0].batch, sent);
  BOOST_TEST(read[0].batch.rejected.empty());
}

BOOST_AUTO_TEST_CASE(folded_entries_are_removed_in_the_commit_that_appends_the_next_ones) {
  test::TempDir dir;
  IngestLog log{dir.path()};
  const auto batch = [](const std::string& source, int n) { return parse_batch(source, documents_of(sent_findings(n)), nullptr); };
  const std::int64_t a = append(log, batch("a", 1)).at(0);
  const std::int64_t b = append(log, batch("b", 2)).at(0);
  BOOST_TEST(b > a);
  BOOST_TEST(log.size() == 2);
  const std::int64_t removed[] = {a};
  const std::int64_t c = append(log, batch("c", 3), 1000, removed).at(0);
  BOOST_TEST(log.size() == 2);
  const auto all = log.read(0, 10);
  BOOST_REQUIRE_EQUAL(all.size(), 2u);
  BOOST_TEST(all[0].seq == b);
  BOOST_TEST(all[1].seq == c);
  BOOST_TEST(all[1].batch.findings.size() == 3u);
  BOOST_TEST(log.read(0, 1).size() == 1u);    // at most `limit`
  BOOST_TEST(log.read(b, 10).at(0).seq == c);  // after a seq
  // The log is a file of its own: another connection (the next start) sees the same.
  IngestLog again{dir.path()};
  BOOST_TEST(again.size() == 2);
}

BOOST_AUTO_TEST_CASE(an_entry_that_cannot_be_read_becomes_one_record_for_the_quarantine) {
  test::TempDir dir;
  { SqliteStore s{dir.path()}; }  // a store without dictionary 99
  const std::vector<std::string> docs = documents_of(sent_findings(20));
  auto foreign = std::make_shared<RawDictionary>(RawDictionary{99, RawCodec::train(docs)});
  IngestLog log{dir.path()};
  append(log, parse_batch("firehose lost", docs, foreign));
  const std::string truncated = "\x05";  // five rejected records announced, none there
  const IngestLog::Append bad{"firehose cut", truncated};
  log.commit({&bad, 1}, 1000, {});

  const auto read = log.read(0, 10);
  BOOST_REQUIRE_EQUAL(read.size(), 2u);
  for (const LoggedBatch& l : read) {
    BOOST_TEST(l.batch.findings.empty());
    BOOST_REQUIRE_EQUAL(l.batch.rejected.size(), 1u);
  }
  BOOST_TEST(read[0].batch.source == "firehose lost");
  BOOST_TEST(read[0].batch.rejected[0].reason.find("dictionary 99 is not in the store") != std::string::npos,
             read[0].batch.rejected[0].reason);
  BOOST_TEST(read[1].batch.rejected[0].reason.find("truncated") != std::string::npos, read[1].batch.rejected[0].reason);
}
