// Tests for include/cspm/time.hpp: ASFF timestamps and pipeline durations.
#define BOOST_TEST_MODULE time
#include <boost/test/unit_test.hpp>

#include <cspm/time.hpp>

using namespace cspm;

BOOST_AUTO_TEST_SUITE(time_test)

BOOST_AUTO_TEST_CASE(parses_asff_forms) {
  BOOST_TEST(*parse_timestamp("1970-01-01T00:00:00Z") == 0);
  BOOST_TEST(*parse_timestamp("2026-11-26T08:00:43.200Z") == 1795680043200);
  BOOST_TEST(*parse_timestamp("2026-11-26T08:00:43Z") == 1795680043000);
  // Offsets are applied: 09:00:43+01:00 is 08:00:43Z.
  BOOST_TEST(*parse_timestamp("2026-11-26T09:00:43.200+01:00") == 1795680043200);
  BOOST_TEST(*parse_timestamp("2026-11-26T07:30:43.2-00:30") == 1795680043200);
  BOOST_TEST(*parse_timestamp("2020-02-29T12:00:00.123456Z") % 1000 == 123);
}

BOOST_AUTO_TEST_CASE(rejects_what_is_not_a_zoned_time) {
  for (const char* bad : {"", "2026-11-26", "2026-11-26T08:00:43", "2026-13-01T00:00:00Z",
                          "2026-02-30T00:00:00Z", "2026-11-26T25:00:00Z", "2026-11-26T08:00:43.Z",
                          "2026-11-26T08:00:43Zjunk", "2026-11-26T08:00:43+24:00",
                          "2026-11-26T08:00:43+01:60", "yesterday"})
    BOOST_TEST(!parse_timestamp(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(formats_round_trip) {
  BOOST_TEST(format_timestamp(1795680043200) == "2026-11-26T08:00:43.200Z");
  BOOST_TEST(format_timestamp(1795680043000) == "2026-11-26T08:00:43Z");
  BOOST_TEST(*parse_timestamp(format_timestamp(1234567890123)) == 1234567890123);
}

BOOST_AUTO_TEST_CASE(durations) {
  BOOST_TEST(parse_duration("24h")->count() == 86'400'000);
  BOOST_TEST(parse_duration("1h30m")->count() == 5'400'000);
  BOOST_TEST(parse_duration("30d")->count() == 30LL * 86'400'000);
  BOOST_TEST(parse_duration("250ms")->count() == 250);
  BOOST_TEST(!parse_duration("").has_value());
  BOOST_TEST(!parse_duration("24").has_value());
  BOOST_TEST(!parse_duration("h").has_value());
  BOOST_TEST(!parse_duration("3x").has_value());
  std::string huge;
  for (int i = 0; i < 16; ++i) huge += "999999999w";  // 16 × 6.05e17 ms > int64
  BOOST_TEST(!parse_duration(huge).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
