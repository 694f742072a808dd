// What store tests ask of a real store: one value of a query, and findings in versions.
#pragma once
#include <string>

#include <boost/test/unit_test.hpp>

#include "asff_json.hpp"
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

}  // namespace cspm::test
