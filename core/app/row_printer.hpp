// Query results as an aligned table, JSON lines or CSV.
#pragma once
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cspm::app {

class RowPrinter {
 public:
  virtual ~RowPrinter() = default;
  virtual void header(const std::vector<std::string>& columns) = 0;
  virtual void row(const std::vector<nlohmann::ordered_json>& values) = 0;
  virtual void finish() = 0;
};

/// "table", "json" or "csv"; nullptr for anything else.
std::unique_ptr<RowPrinter> make_row_printer(const std::string& format, std::ostream& out);

}  // namespace cspm::app
