// Tests for include/cspm/asff_reader.hpp: every container, bad input, real AWS samples.
#define BOOST_TEST_MODULE asff_reader
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <memory>
#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <cspm/asff_reader.hpp>

#include "asff_json.hpp"
#include "support.hpp"

using namespace cspm;
using nlohmann::json;

namespace {

struct Got {
  std::string id, account, severity, workflow, raw;
  Timestamp last_observed;
  std::uint64_t position;
};

class Recorder final : public FindingHandler {
 public:
  void on_finding(const Finding& f, std::string_view raw, std::uint64_t position) override {
    findings.push_back({std::string{f.id}, std::string{f.account_id}, std::string{f.severity},
                        std::string{f.workflow_status}, std::string{raw}, f.last_observed_at, position});
  }
  void on_malformed(const RecordError& e) override {
    errors.push_back(e);
    errors.back().record = {};  // a view into the reader's buffer: keep a copy instead
    records.emplace_back(e.record);
  }
  std::vector<Got> findings;
  std::vector<RecordError> errors;
  std::vector<std::string> records;
};

using test::event;
using test::finding;

Recorder read(const std::string& content, const std::string& name = "in.ndjson") {
  test::TempDir dir;
  const auto path = dir.write(name, content);
  Recorder r;
  ReadStats stats;
  AsffReader reader;
  BOOST_REQUIRE(reader.read_file(path.string(), r, stats).ok());
  BOOST_TEST(stats.malformed == r.errors.size());
  BOOST_TEST(stats.findings == r.findings.size());
  return r;
}

std::string reference(const std::string& relative) {
  return std::string{CSPM_TEST_DATA} + "/reference/" + relative;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(asff_reader_test)

BOOST_AUTO_TEST_CASE(cloudwatch_logs_export_lines_are_read_with_their_timestamp_prefix) {
  const std::string text = "2026-11-27T08:00:00.123Z " + event({finding("a"), finding("b")}).dump() + "\n" +
                           "2026-11-27T08:00:01.000Z " + event({finding("c")}).dump() + "\n";
  const auto r = read(text, "export-000001");
  BOOST_REQUIRE(r.findings.size() == 3u);
  BOOST_TEST(r.errors.empty());
  // Positions still point at the finding in the file (what ingest re-reads).
  for (const auto& f : r.findings) BOOST_TEST(text.substr(f.position, f.raw.size()) == f.raw);
}

BOOST_AUTO_TEST_CASE(a_broken_second_line_does_not_make_ndjson_one_document) {
  // The first line is a whole event, so this is NDJSON with one bad record, not a broken
  // pretty-printed document (which would lose the good event with it).
  const auto r = read(event({finding("a")}).dump() + "\nnot json\n" + event({finding("b")}).dump() + "\n");
  BOOST_TEST(r.findings.size() == 2u);
  BOOST_REQUIRE(r.errors.size() == 1u);
  BOOST_TEST(r.errors[0].line == 2u);
  BOOST_TEST(r.records[0] == "not json");
}

BOOST_AUTO_TEST_CASE(takes_every_finding_of_an_event) {
  const auto r = read(event({finding("a"), finding("b"), finding("c")}).dump() + "\n");
  BOOST_REQUIRE(r.findings.size() == 3u);
  BOOST_TEST(r.findings[0].id == "a");
  BOOST_TEST(r.findings[2].id == "c");
  // Each raw slice is exactly that finding's JSON.
  for (const auto& f : r.findings) BOOST_TEST(json::parse(f.raw).at("Id") == f.id);
}

// Keys and text are taken from the input as written, unless they hold an escape: then they
// are decoded as any JSON reader would. Space before a comma is not part of the text.
BOOST_AUTO_TEST_CASE(escaped_keys_and_text_are_decoded) {
  // The id holds a quote and a backslash, which nlohmann writes escaped.
  std::string text = finding("id-\"q\"\\", "444455556666").dump();
  const auto replace = [&text](const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    BOOST_REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
  };
  replace("\"AwsAccountId\"", "\"Aws\\u0041ccountId\"");
  replace("\"NEW\"", "\"N\\u0045W\" \t");
  replace("\"444455556666\"", "\"444455556666\"  ");
  const auto r = read(text + "\n");
  BOOST_REQUIRE(r.findings.size() == 1u);
  BOOST_TEST(r.findings[0].id == "id-\"q\"\\");
  BOOST_TEST(r.findings[0].account == "444455556666");
  BOOST_TEST(r.findings[0].workflow == "NEW");
}

BOOST_AUTO_TEST_CASE(ndjson_of_bare_findings_events_and_crlf) {
  const std::string text = finding("a").dump() + "\r\n\r\n" + event({finding("b")}).dump() + "\r\n" +
                           finding("c").dump();  // no final newline
  const auto r = read(text);
  BOOST_TEST(r.findings.size() == 3u);
  BOOST_TEST(r.errors.empty());
  BOOST_TEST(r.findings[0].position < r.findings[1].position);
  BOOST_TEST(r.findings[1].position < r.findings[2].position);
}

BOOST_AUTO_TEST_CASE(byte_order_mark_is_skipped) {
  BOOST_TEST(read("\xEF\xBB\xBF" + finding("a").dump() + "\n" + finding("b").dump() + "\n").findings.size() == 2u);
  const auto pretty = read("\xEF\xBB\xBF" + json::array({finding("a")}).dump(2));
  BOOST_TEST(pretty.findings.size() == 1u);
  BOOST_TEST(pretty.errors.empty());
}

BOOST_AUTO_TEST_CASE(whole_file_documents) {
  BOOST_TEST(read(json::array({finding("a"), finding("b")}).dump(2)).findings.size() == 2u);
  BOOST_TEST(read(json{{"Findings", {finding("a"), finding("b")}}}.dump(2)).findings.size() == 2u);
  BOOST_TEST(read(json{{"findings", {finding("a")}}}.dump(4)).findings.size() == 1u);
  BOOST_TEST(read(event({finding("a"), finding("b")}).dump(2)).findings.size() == 2u);
  BOOST_TEST(read(json::array({event({finding("a")}), event({finding("b")})}).dump(2)).findings.size() == 2u);
}

BOOST_AUTO_TEST_CASE(gzip_input) {
  test::TempDir dir;
  const auto path = dir.path() / "day.ndjson.gz";
  const std::string text = event({finding("a")}).dump() + "\n" + finding("b").dump() + "\n";
  gzFile gz = gzopen(path.c_str(), "wb");
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
  Recorder r;
  ReadStats stats;
  AsffReader reader;
  BOOST_REQUIRE(reader.read_file(path.string(), r, stats).ok());
  BOOST_TEST(r.findings.size() == 2u);
}

BOOST_AUTO_TEST_CASE(bad_lines_are_reported_with_their_line_and_skipped) {
  json wrong_type = finding("w");
  wrong_type["AwsAccountId"] = 123;
  json no_account = finding("n");
  no_account.erase("AwsAccountId");
  json bad_resources = finding("r");
  bad_resources["Resources"] = "x";
  const std::string truncated = event({finding("t1"), finding("t2")}).dump().substr(0, 300);
  const std::string text = finding("ok1").dump() + "\n" + "{not json\n" + wrong_type.dump() + "\n" +
                           no_account.dump() + "\n" + truncated + "\n" + bad_resources.dump() + "\n" +
                           "42\n" + finding("ok2").dump() + "\n";
  const auto r = read(text);
  BOOST_REQUIRE(r.findings.size() == 2u);
  BOOST_TEST(r.findings[0].id == "ok1");
  BOOST_TEST(r.findings[1].id == "ok2");  // reading went on after every bad record
  BOOST_REQUIRE(r.errors.size() == 6u);
  const std::vector<std::uint64_t> lines{2, 3, 4, 5, 6, 7};
  for (std::size_t i = 0; i < lines.size(); ++i) BOOST_TEST(r.errors[i].line == lines[i]);
  BOOST_TEST(r.errors[0].reason.find("invalid JSON") != std::string::npos);
  BOOST_TEST(r.errors[1].reason == "AwsAccountId: expected a string");
  BOOST_TEST(r.errors[2].reason == "AwsAccountId: missing");
  BOOST_TEST(r.errors[3].reason.find("invalid JSON") != std::string::npos);  // no half events
  BOOST_TEST(r.errors[4].reason == "Resources: expected an array");
  BOOST_TEST(r.errors[5].reason.find("expected a JSON object") != std::string::npos);
}

// Review findings: each of these crashed, dropped data or counted twice.
BOOST_AUTO_TEST_CASE(first_record_failing_stage_one_is_reported_not_fatal) {
  for (const std::string& bad : {std::string{"\"abc"}, std::string{"{\"a\":\"\xff\"}"}, std::string(100, '\x9c')}) {
    const auto r = read(bad + "\n" + finding("ok").dump() + "\n");
    BOOST_TEST(r.findings.size() == 1u);
    BOOST_REQUIRE(r.errors.size() == 1u);
    BOOST_TEST(r.errors[0].line == 1u);
  }
}

BOOST_AUTO_TEST_CASE(truncated_gzip_fails_the_read) {
  test::TempDir dir;
  const auto path = dir.path() / "day.ndjson.gz";
  std::string text;
  for (int i = 0; i < 200; ++i) text += event({finding("f" + std::to_string(i))}).dump() + "\n";
  gzFile gz = gzopen(path.c_str(), "wb");
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
  const std::string whole = test::read_file(path);
  const auto cut = dir.write("cut.ndjson.gz", whole.substr(0, whole.size() / 2));
  const auto garbage = dir.write("garbage.gz", "\x1f\x8bgarbage");
  for (const auto& file : {cut, garbage}) {
    Recorder r;
    ReadStats stats;
    AsffReader reader;
    const Status s = reader.read_file(file.string(), r, stats);
    BOOST_TEST(!s.ok(), file.filename());
    BOOST_TEST(s.message().find(file.string()) != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(one_line_documents_may_exceed_the_record_limit) {
  std::vector<json> many;
  for (int i = 0; i < 40; ++i) many.push_back(finding("f" + std::to_string(i)));
  for (const std::string& text : {json(many).dump(), json{{"Findings", many}}.dump() + "\n\n"}) {
    test::TempDir dir;
    const auto path = dir.write("compact.json", text);
    Recorder r;
    ReadStats stats;
    AsffReader reader{4096};  // far below the document's size
    BOOST_REQUIRE(reader.read_file(path.string(), r, stats).ok());
    BOOST_TEST(r.findings.size() == 40u);
    BOOST_TEST(r.errors.empty());
  }
}

BOOST_AUTO_TEST_CASE(bad_records_count_once) {
  json no_findings = event({});
  no_findings["detail"].erase("findings");
  const auto r = read(no_findings.dump() + "\n" + R"([{"Id": 1}, garbage)" + "\n" +
                      event({finding("a")}).dump() + "\n");
  BOOST_TEST(r.findings.size() == 1u);
  BOOST_REQUIRE(r.errors.size() == 2u);
  BOOST_TEST(r.errors[0].reason == "detail.findings: missing");
  BOOST_TEST(r.errors[1].line == 2u);
  BOOST_TEST(r.errors[1].reason.find("invalid JSON") == 0u);
}

BOOST_AUTO_TEST_CASE(large_documents_are_never_split_between_readers) {
  std::vector<json> many;
  std::string pretty, compact;
  for (int i = 0; pretty.size() < (18u << 20); ++i) {
    many.push_back(finding("f" + std::to_string(i)));
    if (i % 1000 == 999) pretty = json(many).dump(2);
  }
  pretty = "\xEF\xBB\xBF" + json(many).dump(2);
  compact = json(many).dump();
  test::TempDir dir;
  for (const auto& [name, text] : {std::pair{"pretty-bom.json", pretty}, std::pair{"compact.json", compact}}) {
    const auto path = dir.write(name, text).string();
    Recorder r0, r1;
    ReadStats stats;
    BOOST_REQUIRE(AsffReader::read_file_parallel(path, 2, [&](unsigned i) -> FindingHandler& {
      return i ? r1 : r0;
    }, stats).ok());
    BOOST_TEST(r0.findings.size() + r1.findings.size() == many.size(), name);
    BOOST_TEST(r0.errors.empty(), name);
  }
}

BOOST_AUTO_TEST_CASE(huge_records_are_skipped_not_buffered) {
  json big = finding("big");
  big["Description"] = std::string(3u << 20, 'x');
  const std::string text = finding("a").dump() + "\n" + big.dump() + "\n" + finding("b").dump() + "\n";
  test::TempDir dir;
  const auto path = dir.write("big.ndjson", text);
  Recorder r;
  ReadStats stats;
  AsffReader reader{1u << 20};
  BOOST_REQUIRE(reader.read_file(path.string(), r, stats).ok());
  BOOST_TEST(r.findings.size() == 2u);
  BOOST_REQUIRE(r.errors.size() == 1u);
  BOOST_TEST(r.errors[0].line == 2u);
  BOOST_TEST(r.errors[0].reason.find("exceeds") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(severity_precedence_and_fallbacks) {
  json provider = finding("p");
  provider["FindingProviderFields"] = {{"Severity", {{"Label", "CRITICAL"}}}};
  json normalized = finding("n");
  normalized["Severity"] = {{"Normalized", 45}};
  json none = finding("x");
  none["Severity"] = {{"Product", 3}};
  json legacy = finding("l");
  legacy.erase("Workflow");
  legacy["WorkflowState"] = "NEW";
  legacy.erase("LastObservedAt");
  const auto r = read(provider.dump() + "\n" + normalized.dump() + "\n" + none.dump() + "\n" + legacy.dump() + "\n");
  BOOST_REQUIRE(r.findings.size() == 3u);
  BOOST_TEST(r.findings[0].severity == "CRITICAL");
  BOOST_TEST(r.findings[1].severity == "MEDIUM");
  BOOST_TEST(r.findings[2].workflow == "NEW");
  BOOST_TEST(r.findings[2].last_observed == *parse_timestamp("2026-11-26T08:00:00.500Z"));
  BOOST_REQUIRE(r.errors.size() == 1u);
  BOOST_TEST(r.errors[0].reason.find("Severity") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(real_aws_samples) {
  struct Case {
    std::string file;
    std::size_t findings;
    std::size_t malformed;
    std::uint64_t error_line;
  };
  const std::vector<Case> cases{
      {"aws-docs-sample-control-findings/sample-control-finding-01.json", 1, 0, 0},
      {"aws-docs-sample-control-findings/sample-control-finding-06.json", 1, 0, 0},
      {"aws-docs-provider-findings/aws-config-typical-finding.json", 1, 0, 0},
      {"aws-samples-securityhub-jira/imported_new_automated_standard_check.template", 1, 0, 0},
      {"cloud-custodian-cwe/event-securityhub-iamkey-finding-action.json", 1, 0, 0},
      {"aws-solutions-asr/afsbp-ec2.2.json", 1, 0, 0},
      {"defectdojo/config_multiple_resources.json", 2, 0, 0},
      {"defectdojo/guardduty.json", 4, 0, 0},
      {"defectdojo/inspector_ec2_cve.json", 5, 0, 0},
      {"defectdojo/missing_account_id.json", 0, 1, 3},
      // Invalid JSON as AWS published it: U+2028 after commas, a missing comma, a stray "]}".
      {"aws-docs-sample-control-findings/sample-control-finding-04.json.txt", 0, 1, 46},
      {"aws-docs-sample-control-findings/sample-control-finding-07.json.txt", 0, 1, 38},
      {"aws-docs-provider-findings/aws-health-typical-finding.json.txt", 0, 1, 44},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.file) {
      Recorder r;
      ReadStats stats;
      AsffReader reader;
      BOOST_REQUIRE(reader.read_file(reference(c.file), r, stats).ok());
      BOOST_TEST(r.findings.size() == c.findings);
      BOOST_TEST(r.errors.size() == c.malformed);
      if (c.malformed) BOOST_TEST(r.errors[0].line == c.error_line);
      for (const auto& f : r.findings) {
        BOOST_TEST(!f.id.empty());
        BOOST_TEST(f.account.size() == 12u);
        BOOST_TEST(!f.severity.empty());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(missing_file_is_an_error_not_a_crash) {
  Recorder r;
  ReadStats stats;
  AsffReader reader;
  const Status s = reader.read_file("/nonexistent/day.ndjson", r, stats);
  BOOST_TEST(!s.ok());
  BOOST_TEST(s.message().find("/nonexistent/day.ndjson") != std::string::npos);
}

// The parallel reader must see exactly what one reader sees, with the same line numbers.
BOOST_AUTO_TEST_CASE(parallel_reading_equals_sequential) {
  std::string text;
  std::size_t line = 0;
  std::set<std::uint64_t> bad_lines;
  while (text.size() < (40u << 20)) {
    ++line;
    if (line % 997 == 0) {
      text += "{\"broken\": \n";
      bad_lines.insert(line);
    } else if (line % 1001 == 0) {
      text += "\n";  // blank lines count as lines too
    } else {
      text += event({finding("id-" + std::to_string(line)), finding("x-" + std::to_string(line))}).dump() + "\n";
    }
  }
  test::TempDir dir;
  const auto path = dir.write("big.ndjson", text).string();
  for (const unsigned threads : {1u, 2u, 3u, 7u}) {
    BOOST_TEST_CONTEXT("threads " << threads) {
      std::vector<std::unique_ptr<Recorder>> recorders;
      for (unsigned i = 0; i < threads; ++i) recorders.push_back(std::make_unique<Recorder>());
      ReadStats stats;
      BOOST_REQUIRE(AsffReader::read_file_parallel(path, threads, [&](unsigned i) -> FindingHandler& {
        return *recorders[i];
      }, stats).ok());
      std::set<std::string> ids;
      std::size_t total = 0;
      for (const auto& r : recorders) {
        total += r->findings.size();
        for (const auto& f : r->findings) ids.insert(f.id);
      }
      BOOST_TEST(total == ids.size());  // nothing read twice
      BOOST_TEST(stats.findings == total);
      BOOST_TEST(total == 2 * (line - bad_lines.size() - line / 1001));
      std::set<std::uint64_t> reported;
      for (const auto& e : recorders[0]->errors) reported.insert(e.line);
      BOOST_TEST(reported == bad_lines, "malformed lines must keep their exact numbers");
    }
  }
}


// A window of a file, as the ingestor reads them: records that start inside it, each read
// once, with line numbers counted from the lines before the window.
BOOST_AUTO_TEST_CASE(a_window_keeps_its_line_numbers) {
  std::string text;
  std::vector<std::uint64_t> starts;  // byte offset of each line
  for (std::size_t line = 1; text.size() < (40u << 20); ++line) {
    starts.push_back(text.size());
    text += line % 500 == 0 ? std::string{"{\"broken\": \n"}
                            : event({finding("id-" + std::to_string(line))}).dump() + "\n";
  }
  test::TempDir dir;
  const auto path = dir.write("big.ndjson", text).string();
  const std::uint64_t begin = starts[1000] + 5, end = starts[15000] + 1;  // cuts inside lines
  std::vector<std::unique_ptr<Recorder>> recorders;
  for (int i = 0; i < 2; ++i) recorders.push_back(std::make_unique<Recorder>());
  ReadStats stats;
  std::uint64_t lines = 0;
  BOOST_REQUIRE(AsffReader::read_range_parallel(path, begin, end, 1001, 2, [&](unsigned i) -> FindingHandler& {
    return *recorders[i];
  }, stats, 8u << 20, lines).ok());
  std::set<std::string> ids;
  for (const auto& r : recorders)
    for (const auto& f : r->findings) ids.insert(f.id);
  // Lines 1002..15001 start inside the window (line n starts at starts[n - 1]).
  std::size_t expected = 0;
  for (std::size_t line = 1002; line <= 15001; ++line) expected += line % 500 != 0;
  BOOST_TEST(ids.size() == expected);
  BOOST_TEST(ids.count("id-1002") == 1u);
  BOOST_TEST(ids.count("id-15001") == 1u);
  BOOST_TEST(ids.count("id-15002") == 0u);
  std::set<std::uint64_t> bad;
  for (const auto& e : recorders[0]->errors) bad.insert(e.line);
  std::set<std::uint64_t> expected_bad;
  for (std::uint64_t line = 1500; line <= 15000; line += 500) expected_bad.insert(line);
  BOOST_TEST(bad == expected_bad, "malformed lines keep their numbers in the whole file");
}

// A handler that throws (the store behind it failed) ends the read with an error on every
// reader thread; nothing escapes a thread.
BOOST_AUTO_TEST_CASE(a_throwing_handler_fails_the_read) {
  class Throwing final : public FindingHandler {
   public:
    void on_finding(const Finding&, std::string_view, std::uint64_t) override {
      if (++seen_ == 1000) throw std::runtime_error("disk full");
    }
    void on_malformed(const RecordError&) override {}

   private:
    int seen_ = 0;
  };
  std::string text;
  for (int line = 0; text.size() < (40u << 20); ++line) text += event({finding("id-" + std::to_string(line))}).dump() + "\n";
  test::TempDir dir;
  const auto path = dir.write("big.ndjson", text).string();
  Throwing a, b;
  ReadStats stats;
  const Status s = AsffReader::read_file_parallel(path, 2, [&](unsigned i) -> FindingHandler& {
    return i == 0 ? static_cast<FindingHandler&>(a) : b;
  }, stats);
  BOOST_TEST(!s.ok());
  BOOST_TEST(s.message().find("disk full") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
