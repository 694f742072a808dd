// What store tests ask of a real store: one value of a query, and findings in versions.
#pragma once
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "asff_json.hpp"
#include "store/raw_json_function.hpp"
#include "store/sqlite_store.hpp"

namespace cspm::test {

inline std::int64_t scalar(store::SqliteStore& s, const std::string& sql) {
  auto stmt = s.database().prepare(sql);
  BOOST_REQUIRE(stmt.step());
  return stmt.integer(0);
}

inline std::string text(store::SqliteStore& s, const std::string& sql) {
  auto stmt = s.database().prepare(sql);
  BOOST_REQUIRE(stmt.step());
  return std::string{stmt.text(0)};
}

/// A finding of account 111122223333 updated at `updated`, in workflow state `workflow`.
inline nlohmann::json versioned(const std::string& id, const std::string& updated, const std::string& workflow) {
  nlohmann::json f = finding(id, "111122223333", updated);
  f["Workflow"]["Status"] = workflow;
  return f;
}

/// Finding "r<i>", its title with quotes, non-ASCII letters and a tab: JSON that must come
/// back exactly as sent.
inline nlohmann::json titled_finding(int i) {
  nlohmann::json f = finding("r" + std::to_string(i));
  f["Title"] = "Title with \"quotes\", ünïcödé and a tab\t #" + std::to_string(i);
  return f;
}

/// Every stored finding "r<i>" reads back through raw_json() as `sent[i]`, and all of them are stored.
inline void check_raw_json_as_sent(store::SqliteStore& s, const std::vector<nlohmann::json>& sent) {
  store::register_raw_json(s.database());
  auto stmt = s.database().prepare("SELECT finding_id, raw_json(row) FROM findings WHERE finding_id LIKE 'r%'");
  std::size_t checked = 0;
  while (stmt.step()) {
    const int i = std::stoi(std::string{stmt.text(0)}.substr(1));
    BOOST_TEST(nlohmann::json::parse(stmt.text(1)) == sent[static_cast<std::size_t>(i)]);
    ++checked;
  }
  BOOST_TEST(checked == sent.size());
}

}  // namespace cspm::test
