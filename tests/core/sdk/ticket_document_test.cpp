// Tests for include/cspm/ticket_document.hpp: what a ticket says, and its limits.
#define BOOST_TEST_MODULE ticket_document
#include <boost/test/unit_test.hpp>

#include <cspm/ticket_document.hpp>

#include "support.hpp"

using namespace cspm;

namespace {

// What Jira counts: UTF-16 code units (a character outside the BMP is two).
std::size_t utf16_units(const std::string& s) {
  std::size_t n = 0;
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if ((b & 0xC0) != 0x80) n += b >= 0xF0 ? 2 : 1;
  }
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ticket_document_test)

BOOST_AUTO_TEST_CASE(account_group_has_full_context) {
  test::FindingFactory make;
  Finding a = make.make("a"), b = make.make("b");
  b.severity = make.keep("CRITICAL");
  b.region = make.keep("us-east-1");
  Group g;
  g.grouping = "account";
  g.key = {{"control_id", "S3.1"}, {"account_id", "111122223333"}};
  g.members = {&a, &b};
  g.attributes["account_name"] = "payments-prod";
  const TicketDocument doc = make_ticket_document(g);
  BOOST_TEST(doc.summary ==
             "[CRITICAL] S3.1 S3 general purpose buckets should have block public access settings enabled - "
             "AWS account 111122223333 (payments-prod)");
  BOOST_REQUIRE(doc.issues.size() == 1u);
  BOOST_TEST(doc.issues[0].findings == 2u);
  BOOST_TEST(doc.issues[0].remediation_url == "https://docs.aws.amazon.com/console/securityhub/S3.1/remediation");
  BOOST_TEST(doc.resources.size() == 2u);
  std::map<std::string, std::string> rows(doc.overview.begin(), doc.overview.end());
  BOOST_TEST(rows["Regions"] == "eu-west-1, us-east-1");
  BOOST_TEST(rows["AWS account"] == "111122223333 (payments-prod)");
  BOOST_TEST(rows["Severity"] == "CRITICAL");
  BOOST_TEST(rows["Compliance status"] == "FAILED");
  BOOST_TEST(rows["Findings"] == "2");
  BOOST_TEST(rows["Last observed"] == format_timestamp(a.last_observed_at));
}

BOOST_AUTO_TEST_CASE(summary_fits_jira_even_for_hostile_titles) {
  test::FindingFactory make;
  Finding f = make.make("a");
  std::string title;
  for (int i = 0; i < 2000; ++i) title += "\xC3\xA9\n";  // 10 kB of é and newlines
  f.title = make.keep(title);
  Group g;
  g.grouping = "account";
  g.key = {{"control_id", "S3.1"}, {"account_id", "111122223333"}};
  g.members = {&f};
  const TicketDocument doc = make_ticket_document(g);
  BOOST_TEST(utf16_units(doc.summary) <= 255u);
  BOOST_TEST(doc.summary.find('\n') == std::string::npos);
  BOOST_TEST(doc.summary.substr(doc.summary.size() - 3) == "\xE2\x80\xA6");  // marked as cut

  std::string emoji;
  for (int i = 0; i < 200; ++i) emoji += "\xF0\x9F\x94\xA5";  // 200 × U+1F525, 2 units each
  f.title = make.keep(emoji);
  const TicketDocument doc2 = make_ticket_document(g);
  BOOST_TEST(utf16_units(doc2.summary) <= 255u);
  BOOST_TEST(utf16_units(doc2.summary) >= 250u);  // cut, not emptied
}

BOOST_AUTO_TEST_CASE(resource_list_is_capped_and_says_so) {
  test::FindingFactory make;
  std::vector<Finding> findings;
  for (int i = 0; i < 30; ++i) findings.push_back(make.make("f" + std::to_string(i)));
  Group g;
  g.grouping = "account";
  g.key = {{"control_id", "S3.1"}, {"account_id", "111122223333"}};
  for (auto& f : findings) g.members.push_back(&f);
  const TicketDocument doc = make_ticket_document(g, 10);
  BOOST_TEST(doc.resources.size() == 10u);
  BOOST_TEST(doc.more_resources == 20u);
}

BOOST_AUTO_TEST_SUITE_END()
