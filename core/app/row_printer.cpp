// Printers: JSON and CSV stream; the table buffers to align its columns.
#include "row_printer.hpp"

#include <algorithm>
#include <string_view>

namespace cspm::app {
namespace {

// A cell as text: strings as they are, arrays joined with spaces, null as "".
std::string cell(const nlohmann::ordered_json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out;
    for (const auto& e : v) out += (out.empty() ? "" : " ") + cell(e);
    return out;
  }
  return v.dump();
}

// Terminal output: control characters from findings would move the cursor; show them escaped.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) out += "\\x" + std::string{"0123456789abcdef"[c >> 4]} + "0123456789abcdef"[c & 15];
    else out += static_cast<char>(c);
  }
  return out;
}

// Display width of UTF-8 text, counting code points (good enough for alignment).
std::size_t width(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xc0) != 0x80; }));
}

class TablePrinter final : public RowPrinter {
 public:
  explicit TablePrinter(std::ostream& out) : out_(out) {}
  void header(const std::vector<std::string>& columns) override { rows_.push_back(columns); }
  void row(const std::vector<nlohmann::ordered_json>& values) override {
    std::vector<std::string> r;
    for (const auto& v : values) {
      std::string text = printable(cell(v));
      if (width(text) > kMaxCell) {  // cut at a code point boundary
        std::size_t n = 0, i = 0;
        for (; i < text.size() && n < kMaxCell - 1; ++i) if ((text[i] & 0xc0) != 0x80) ++n;
        while (i < text.size() && (text[i] & 0xc0) == 0x80) ++i;
        text = text.substr(0, i) + "…";
      }
      r.push_back(std::move(text));
    }
    rows_.push_back(std::move(r));
  }
  void finish() override {
    if (rows_.empty()) return;
    std::vector<std::size_t> w(rows_.front().size(), 0);
    for (const auto& r : rows_)
      for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], width(r[i]));
    for (const auto& r : rows_) {
      std::string line;
      for (std::size_t i = 0; i < r.size(); ++i) {
        line += r[i];
        if (i + 1 < r.size()) line += std::string(w[i] - width(r[i]) + 2, ' ');
      }
      out_ << line << '\n';
    }
    out_ << "(" << rows_.size() - 1 << " rows)\n";
  }

 private:
  static constexpr std::size_t kMaxCell = 70;
  std::ostream& out_;
  std::vector<std::vector<std::string>> rows_;
};

class JsonPrinter final : public RowPrinter {
 public:
  explicit JsonPrinter(std::ostream& out) : out_(out) {}
  void header(const std::vector<std::string>& columns) override { columns_ = columns; }
  void row(const std::vector<nlohmann::ordered_json>& values) override {
    nlohmann::ordered_json o = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < values.size() && i < columns_.size(); ++i) o[columns_[i]] = values[i];
    out_ << o.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
  void finish() override {}

 private:
  std::ostream& out_;
  std::vector<std::string> columns_;
};

class CsvPrinter final : public RowPrinter {
 public:
  explicit CsvPrinter(std::ostream& out) : out_(out) {}
  void header(const std::vector<std::string>& columns) override {
    std::vector<nlohmann::ordered_json> v(columns.begin(), columns.end());
    row(v);
  }
  void row(const std::vector<nlohmann::ordered_json>& values) override {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i) out_ << ',';
      std::string text = cell(values[i]);
      // Spreadsheets run cells that start like a formula; finding text is untrusted (OWASP).
      if (values[i].is_string() && !text.empty() && std::string_view{"=+-@\t\r"}.find(text[0]) != std::string_view::npos)
        text.insert(0, 1, '\'');
      out_ << quote(text);
    }
    out_ << "\r\n";  // RFC 4180
  }
  void finish() override {}

 private:
  static std::string quote(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string{"\"\""} : std::string(1, c);
    return out + '"';
  }
  std::ostream& out_;
};

}  // namespace

std::unique_ptr<RowPrinter> make_row_printer(const std::string& format, std::ostream& out) {
  if (format == "table") return std::make_unique<TablePrinter>(out);
  if (format == "json") return std::make_unique<JsonPrinter>(out);
  if (format == "csv") return std::make_unique<CsvPrinter>(out);
  return nullptr;
}

}  // namespace cspm::app
