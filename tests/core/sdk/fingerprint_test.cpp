// Tests for include/cspm/fingerprint.hpp: stable, order-independent, collision-resistant.
#define BOOST_TEST_MODULE fingerprint
#include <boost/test/unit_test.hpp>

#include <cspm/fingerprint.hpp>

using namespace cspm;

BOOST_AUTO_TEST_SUITE(fingerprint_test)

BOOST_AUTO_TEST_CASE(stable_and_independent_of_key_order) {
  const auto a = fingerprint("cspm-daily", "account", 1, {{"control_id", "S3.1"}, {"account_id", "111122223333"}});
  const auto b = fingerprint("cspm-daily", "account", 1, {{"account_id", "111122223333"}, {"control_id", "S3.1"}});
  BOOST_TEST(a == b);
  BOOST_TEST(a.size() == 32u);
  BOOST_TEST(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  // Pinned (computed independently with Python's hashlib over the documented canonical
  // text): a change here would re-file every open ticket, so it must be deliberate.
  BOOST_TEST(a == "b121b57348f1d1d18e1bccc716e4eb76");
}

BOOST_AUTO_TEST_CASE(every_part_counts) {
  const std::vector<std::pair<std::string, std::string>> key{{"resource_id", "arn:aws:s3:::b"}};
  const auto base = fingerprint("p", "resource", 1, key);
  BOOST_TEST(base != fingerprint("q", "resource", 1, key));
  BOOST_TEST(base != fingerprint("p", "account", 1, key));
  BOOST_TEST(base != fingerprint("p", "resource", 2, key));
  BOOST_TEST(base != fingerprint("p", "resource", 1, {{"resource_id", "arn:aws:s3:::c"}}));
}

BOOST_AUTO_TEST_CASE(values_cannot_imitate_separators) {
  // "a|b=c" as one value must not equal two fields a and b=c.
  BOOST_TEST(fingerprint("p", "g", 1, {{"a", "x|b=y"}}) != fingerprint("p", "g", 1, {{"a", "x"}, {"b", "y"}}));
}

BOOST_AUTO_TEST_SUITE_END()
