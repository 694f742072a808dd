// Received batches into a real store: versions across batches, ties, quarantine, failure,
// and the dictionary receivers pack with once a commit has trained one.
#define BOOST_TEST_MODULE memory_ingest
#include <boost/test/unit_test.hpp>

#include "asff_json.hpp"
#include "store/memory_ingest.hpp"
#include "store/raw_json_function.hpp"
#include "store/sqlite_store.hpp"
#include "store_queries.hpp"
#include "support.hpp"

using namespace cspm;
using namespace cspm::store;
using nlohmann::json;
using test::scalar;
using test::text;
using test::versioned;

namespace {

constexpr Timestamp kNow = 1'764'000'000'000;

std::string event(const json& finding) { return test::event({finding}).dump(); }

IngestResult commit(BatchCommitter& committer, SqliteStore& s, std::vector<ParsedBatch*> batches) {
  return committer.commit(s, batches, kNow);
}

}  // namespace

BOOST_AUTO_TEST_CASE(versions_across_the_batches_of_one_commit_keep_the_newest_and_later_wins_a_tie) {
  test::TempDir dir;
  SqliteStore s{dir.path()};
  const std::vector<std::string> first{event(versioned("a", "2026-11-26T10:00:00Z", "NOTIFIED")),
                                       event(versioned("b", "2026-11-26T09:00:00Z", "NEW"))};
  const std::vector<std::string> second{event(versioned("a", "2026-11-26T08:00:00Z", "NEW")),
                                        event(versioned("b", "2026-11-26T09:00:00Z", "RESOLVED"))};
  ParsedBatch one = parse_batch("one", first, {}), two = parse_batch("two", second, {});
  BOOST_TEST(one.events == 2u);
  BOOST_TEST(one.findings.size() == 2u);
  BatchCommitter committer;
  const auto r = commit(committer, s, {&one, &two});
  BOOST_REQUIRE_MESSAGE(r.status.ok(), r.status.message());
  BOOST_TEST(r.counts.events == 4u);
  BOOST_TEST(r.counts.findings == 4u);
  BOOST_TEST(r.counts.findings_new == 2u);
  BOOST_TEST(text(s, "SELECT workflow_status FROM findings WHERE finding_id = 'a'") == "NOTIFIED");  // newest
  BOOST_TEST(text(s, "SELECT workflow_status FROM findings WHERE finding_id = 'b'") == "RESOLVED");  // the later of a tie
  BOOST_TEST(scalar(s, "SELECT events FROM findings WHERE finding_id = 'a'") == 2);
  BOOST_TEST(scalar(s, "SELECT count(*) FROM observations") == 3);  // b's two versions share a time

  // The same batches again change nothing: the store already holds these states.
  ParsedBatch again = parse_batch("one", first, {});
  const auto r2 = commit(committer, s, {&again});
  BOOST_TEST(r2.counts.findings_new == 0u);
  BOOST_TEST(r2.counts.findings_updated == 0u);
  BOOST_TEST(r2.counts.stale == 2u);
}

// Only the versions that do not win may go without their bodies (the daemon drops those
// of logged versions a newer one supersedes); a winner without one stores nothing.
BOOST_AUTO_TEST_CASE(versions_that_do_not_win_need_no_body_and_a_winner_without_one_fails_the_commit) {
  test::TempDir dir;
  SqliteStore s{dir.path()};
  ParsedBatch older = parse_batch("older", std::vector{event(versioned("a", "2026-11-26T08:00:00Z", "NEW"))}, {});
  ParsedBatch newer = parse_batch("newer", std::vector{event(versioned("a", "2026-11-26T10:00:00Z", "NOTIFIED"))}, {});
  older.findings[0].body.reset();
  BatchCommitter committer;
  const auto r = commit(committer, s, {&older, &newer});
  BOOST_REQUIRE_MESSAGE(r.status.ok(), r.status.message());
  BOOST_TEST(r.counts.findings == 2u);
  BOOST_TEST(scalar(s, "SELECT events FROM findings WHERE finding_id = 'a'") == 2);
  BOOST_TEST(scalar(s, "SELECT count(*) FROM observations") == 2);
  BOOST_TEST(text(s, "SELECT workflow_status FROM findings WHERE finding_id = 'a'") == "NOTIFIED");

  // On a tie the later one wins, so the earlier needs no body.
  ParsedBatch tie1 = parse_batch("tie1", std::vector{event(versioned("a", "2026-11-26T11:00:00Z", "NEW"))}, {});
  ParsedBatch tie2 = parse_batch("tie2", std::vector{event(versioned("a", "2026-11-26T11:00:00Z", "NOTIFIED"))}, {});
  tie1.findings[0].body.reset();
  BOOST_TEST(commit(committer, s, {&tie1, &tie2}).status.ok());
  BOOST_TEST(scalar(s, "SELECT updated_at FROM findings WHERE finding_id = 'a'") == *parse_timestamp("2026-11-26T11:00:00Z"));

  ParsedBatch newest = parse_batch("newest", std::vector{event(versioned("a", "2026-11-26T12:00:00Z", "RESOLVED"))}, {});
  newest.findings[0].body.reset();
  const auto failed = commit(committer, s, {&newest});
  BOOST_TEST(!failed.status.ok());
  BOOST_TEST(failed.status.message().find("no body") != std::string::npos, failed.status.message());
  BOOST_TEST(text(s, "SELECT workflow_status FROM findings WHERE finding_id = 'a'") == "NOTIFIED");
  BOOST_TEST(scalar(s, "SELECT count(*) FROM observations") == 3);
}

BOOST_AUTO_TEST_CASE(bad_documents_are_quarantined_under_their_batch_and_place) {
  test::TempDir dir;
  SqliteStore s{dir.path()};
  json no_resources = versioned("c", "2026-11-26T10:00:00Z", "NEW");
  no_resources.erase("Resources");
  const std::vector<std::string> docs{event(versioned("a", "2026-11-26T10:00:00Z", "NEW")), "{broken",
                                      event(no_resources), std::string(200, ' ') + "{}"};
  ParsedBatch small = parse_batch("firehose req-8", docs, {}, 100);
  BOOST_TEST(small.events == 4u);
  BOOST_TEST(small.findings.size() == 0u);  // the event is over 100 bytes
  BOOST_REQUIRE_EQUAL(small.rejected.size(), 4u);
  BOOST_TEST(small.rejected[0].reason.find("over the limit of 100") != std::string::npos, small.rejected[0].reason);
  BOOST_TEST(small.rejected[0].record_bytes == docs[0].size());

  ParsedBatch b = parse_batch("firehose req-9", docs, {});
  BOOST_TEST(b.events == 4u);
  BOOST_TEST(b.findings.size() == 1u);
  BOOST_REQUIRE_EQUAL(b.rejected.size(), 3u);
  BOOST_TEST(b.rejected[0].line == 2u);
  BOOST_TEST(b.rejected[0].reason.find("invalid JSON") == 0u, b.rejected[0].reason);
  BOOST_TEST(b.rejected[1].line == 3u);  // a finding without Resources
  BOOST_TEST(b.rejected[2].line == 4u);  // an object that is neither an event nor a finding
  BatchCommitter committer;
  const auto r = commit(committer, s, {&b});
  BOOST_REQUIRE_MESSAGE(r.status.ok(), r.status.message());
  BOOST_TEST(r.counts.quarantined == 3u);
  BOOST_TEST(scalar(s, "SELECT count(*) FROM quarantine WHERE source = 'firehose req-9' AND line IN (2, 3, 4)") == 3);
  BOOST_TEST(scalar(s, "SELECT count(*) FROM findings") == 1);
}

BOOST_AUTO_TEST_CASE(a_commit_that_fails_after_training_a_dictionary_stores_and_publishes_nothing) {
  test::TempDir dir;
  SqliteStore s{dir.path()};
  std::vector<std::string> docs;
  for (int i = 0; i < 1200; ++i) docs.push_back(event(test::finding("f" + std::to_string(i))));
  docs.push_back("{broken");
  // The store refuses the 1,100th new finding: after the dictionary (trained on the first
  // 1,000) was added in the same transaction.
  s.database().exec("CREATE TEMP TRIGGER refuse BEFORE INSERT ON finding_states WHEN NEW.finding_id = 'f1100' "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END");
  BatchCommitter committer;
  ParsedBatch b = parse_batch("x", docs, {});
  const auto failed = commit(committer, s, {&b});
  BOOST_TEST(!failed.status.ok());
  BOOST_TEST(failed.status.message().find("refused") != std::string::npos, failed.status.message());
  BOOST_TEST(!committer.dictionary());  // it was rolled back with the rest
  BOOST_TEST(scalar(s, "SELECT count(*) FROM findings") == 0);
  BOOST_TEST(scalar(s, "SELECT count(*) FROM quarantine") == 0);
  BOOST_TEST(scalar(s, "SELECT count(*) FROM raw_dicts") == 0);

  s.database().exec("DROP TRIGGER refuse");
  const auto r = commit(committer, s, {&b});
  BOOST_REQUIRE_MESSAGE(r.status.ok(), r.status.message());
  BOOST_TEST(r.counts.findings_new == 1200u);
  BOOST_TEST(r.counts.quarantined == 1u);
  BOOST_REQUIRE(committer.dictionary());  // trained again, and this time stored
  BOOST_TEST(scalar(s, "SELECT count(*) FROM raw_dicts WHERE id = " + std::to_string(committer.dictionary()->id)) == 1);
}

BOOST_AUTO_TEST_CASE(once_a_dictionary_is_trained_receivers_pack_and_the_json_reads_back_as_received) {
  test::TempDir dir;
  SqliteStore s{dir.path()};
  std::vector<json> sent;
  const auto batch_of = [&](int from, int to) {
    std::vector<std::string> docs;
    for (int i = from; i < to; ++i) {
      const json f = test::titled_finding(i);
      sent.push_back(f);
      docs.push_back(event(f));
    }
    return docs;
  };
  BatchCommitter committer;
  BOOST_TEST(!committer.dictionary());
  ParsedBatch first = parse_batch("first", batch_of(0, 1100), {});  // text: no dictionary yet
  BOOST_TEST(first.findings[0].body->dict == 0);
  BOOST_REQUIRE(commit(committer, s, {&first}).status.ok());
  const auto dictionary = committer.dictionary();
  BOOST_REQUIRE(dictionary);  // trained on the first 1,000 and stored with them
  BOOST_TEST(dictionary->id == scalar(s, "SELECT max(id) FROM raw_dicts"));

  ParsedBatch second = parse_batch("second", batch_of(1100, 1300), dictionary);
  BOOST_TEST(second.findings[0].body->dict == dictionary->id);  // packed by the receiving thread
  BOOST_TEST(second.findings[0].body->finding.raw().empty());
  BOOST_REQUIRE(commit(committer, s, {&second}).status.ok());
  BOOST_TEST(scalar(s, "SELECT count(*) FROM finding_raw WHERE dict > 0") >= 300);

  // A committer of a store that already has a dictionary finds it and hands it on.
  BatchCommitter later;
  ParsedBatch third = parse_batch("third", batch_of(1300, 1301), {});
  BOOST_REQUIRE(commit(later, s, {&third}).status.ok());
  BOOST_REQUIRE(later.dictionary());
  BOOST_TEST(later.dictionary()->id == dictionary->id);

  // Findings whose text is a few bytes, several to an event: packed, they keep no raw JSON,
  // and the batch's vector moves them as it grows.
  std::vector<json> tiny;
  for (int i = 0; i < 8; ++i)
    tiny.push_back({{"Id", "t" + std::to_string(i)}, {"ProductArn", "p"}, {"AwsAccountId", "1"},
                    {"UpdatedAt", "2026-11-26T08:00:00Z"}, {"Resources", {{{"Id", "r"}}}},
                    {"Severity", {{"Label", "LOW"}}}});
  const std::vector<std::string> tiny_docs{test::event(tiny).dump()};
  ParsedBatch small = parse_batch("tiny", tiny_docs, dictionary);
  BOOST_REQUIRE_EQUAL(small.findings.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) BOOST_TEST(small.findings[i].body->finding.finding().id == "t" + std::to_string(i));
  BOOST_REQUIRE(commit(committer, s, {&small}).status.ok());
  BOOST_TEST(scalar(s, "SELECT count(DISTINCT finding_id) FROM findings WHERE finding_id LIKE 't%'") == 8);

  test::check_raw_json_as_sent(s, sent);
}

BOOST_AUTO_TEST_CASE(a_thread_packing_for_two_stores_uses_each_ones_own_dictionary) {
  test::TempDir dir;
  SqliteStore one{dir.path() / "one"}, two{dir.path() / "two"};
  const auto docs = [](const std::string& title) {
    std::vector<std::string> out;
    for (int i = 0; i < 1100; ++i) {
      json f = test::finding(title + std::to_string(i));
      f["Title"] = title + " of a kind the other store never saw " + std::to_string(i * 7919);
      out.push_back(event(f));
    }
    return out;
  };
  BatchCommitter for_one, for_two;
  ParsedBatch a = parse_batch("a", docs("alpha"), {}), b = parse_batch("b", docs("beta"), {});
  BOOST_REQUIRE(commit(for_one, one, {&a}).status.ok());
  BOOST_REQUIRE(commit(for_two, two, {&b}).status.ok());
  BOOST_REQUIRE(for_one.dictionary() && for_two.dictionary());
  BOOST_TEST(for_one.dictionary()->id == for_two.dictionary()->id);  // both the store's first
  BOOST_TEST(for_one.dictionary()->bytes != for_two.dictionary()->bytes);
  // This thread packs for one, then for two: each batch with its own store's dictionary.
  const std::vector<std::string> extra{event(test::finding("x1"))}, more{event(test::finding("x2"))};
  ParsedBatch c = parse_batch("c", extra, for_one.dictionary()), d = parse_batch("d", more, for_two.dictionary());
  BOOST_REQUIRE(commit(for_one, one, {&c}).status.ok());
  BOOST_REQUIRE(commit(for_two, two, {&d}).status.ok());
  register_raw_json(two.database());
  BOOST_TEST(json::parse(text(two, "SELECT raw_json(row) FROM findings WHERE finding_id = 'x2'")) == test::finding("x2"));
}
