// Tests for include/cspm/finding_table.hpp: latest state per identity, whatever the order.
#define BOOST_TEST_MODULE finding_table
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <thread>

#include <cspm/finding_table.hpp>

#include "support.hpp"

using namespace cspm;

BOOST_AUTO_TEST_SUITE(finding_table_test)

BOOST_AUTO_TEST_CASE(newest_updated_at_wins_in_any_order) {
  test::FindingFactory make;
  Finding older = make.make("f1", 1000);
  Finding newer = make.make("f1", 2000);
  newer.compliance_status = make.keep("PASSED");
  for (const bool newer_first : {false, true}) {
    FindingTable table;
    if (newer_first) {
      BOOST_TEST((table.upsert(newer) == FindingTable::Upsert::inserted));
      BOOST_TEST((table.upsert(older) == FindingTable::Upsert::stale));
    } else {
      BOOST_TEST((table.upsert(older) == FindingTable::Upsert::inserted));
      BOOST_TEST((table.upsert(newer) == FindingTable::Upsert::updated));
    }
    BOOST_TEST(table.size() == 1u);
    const Finding* stored = table.findings().front();
    BOOST_TEST(stored->compliance_status == "PASSED");
    BOOST_TEST(stored->updated_at == 2000);
  }
}

BOOST_AUTO_TEST_CASE(equal_times_later_position_wins) {
  test::FindingFactory make;
  Finding a = make.make("f1", 1000), b = make.make("f1", 1000);
  b.workflow_status = make.keep("NOTIFIED");
  FindingTable table;
  table.upsert(b, 20);
  BOOST_TEST((table.upsert(a, 10) == FindingTable::Upsert::stale));
  BOOST_TEST(table.findings().front()->workflow_status == "NOTIFIED");
}

BOOST_AUTO_TEST_CASE(identity_is_product_and_id) {
  test::FindingFactory make;
  Finding a = make.make("same-id"), b = make.make("same-id");
  b.product_arn = make.keep("arn:aws:securityhub:eu-west-1::product/aws/guardduty");
  FindingTable table;
  table.upsert(a);
  table.upsert(b);
  BOOST_TEST(table.size() == 2u);
}

BOOST_AUTO_TEST_CASE(stored_text_outlives_the_input) {
  FindingTable table;
  {
    test::FindingFactory make;  // destroyed: the table must have its own copies
    Finding f = make.make("transient");
    f.resources.push_back({make.keep("AwsEc2Instance"), make.keep("i-123"), {}, {}});
    table.upsert(f);
  }
  const Finding* f = table.findings().front();
  BOOST_TEST(f->id == "transient");
  BOOST_TEST(f->title == "S3 general purpose buckets should have block public access settings enabled");
  BOOST_REQUIRE(f->resources.size() == 2u);
  BOOST_TEST(f->resources[1].id == "i-123");
}

// Storage grows in chunks while the table fills: what findings() handed out earlier stays
// where it was, and later updates land in the same place.
BOOST_AUTO_TEST_CASE(many_findings_keep_their_addresses) {
  test::FindingFactory make;
  FindingTable table;
  for (int id = 0; id < 200; ++id) table.upsert(make.make("early-" + std::to_string(id), 1000));
  const std::vector<const Finding*> early = table.findings();
  for (int id = 0; id < 50000; ++id) table.upsert(make.make("late-" + std::to_string(id), 1000));
  for (int id = 0; id < 200; ++id) {
    Finding f = make.make("early-" + std::to_string(id), 2000);
    f.workflow_status = make.keep("NOTIFIED");
    BOOST_TEST((table.upsert(f) == FindingTable::Upsert::updated));
  }
  BOOST_TEST(table.size() == 50200u);
  BOOST_TEST(table.findings().size() == 50200u);
  for (const Finding* f : early) {
    BOOST_TEST(f->id.substr(0, 6) == "early-");
    BOOST_TEST(f->updated_at == 2000);
    BOOST_TEST(f->workflow_status == "NOTIFIED");
  }
}

BOOST_AUTO_TEST_CASE(concurrent_upserts_keep_the_latest) {
  test::FindingFactory make;
  std::vector<Finding> events;
  for (int id = 0; id < 500; ++id)
    for (int version = 0; version < 8; ++version) events.push_back(make.make("f" + std::to_string(id), 1000 + version));
  FindingTable table;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (std::size_t i = static_cast<std::size_t>(t); i < events.size(); i += 4) table.upsert(events[i], i);
    });
  for (auto& t : threads) t.join();
  BOOST_TEST(table.size() == 500u);
  for (const Finding* f : table.findings()) BOOST_TEST(f->updated_at == 1007);
}

BOOST_AUTO_TEST_SUITE_END()
