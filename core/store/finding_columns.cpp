// Finding <-> findings columns; resources travel as JSON so SQL (json_each) can search them.
#include "finding_columns.hpp"

#include <array>

#include <nlohmann/json.hpp>

namespace cspm::store {
namespace {

using F = Finding;
struct TextColumn {
  std::string_view name;
  std::string_view F::*member;
};
// Text unique to a finding, stored in its row.
constexpr std::array<TextColumn, 4> kInline{{
    {"product_arn", &F::product_arn},
    {"finding_id", &F::id},
    {"account_id", &F::account_id},
    {"source_url", &F::source_url},
}};
// Text shared by many findings, stored once in `texts`; the row holds "<name>_id".
constexpr std::array<TextColumn, 14> kShared{{
    {"account_name", &F::account_name},
    {"region", &F::region},
    {"type", &F::type},
    {"generator_id", &F::generator_id},
    {"control_id", &F::control_id},
    {"product_name", &F::product_name},
    {"severity", &F::severity},
    {"compliance_status", &F::compliance_status},
    {"workflow_status", &F::workflow_status},
    {"record_state", &F::record_state},
    {"title", &F::title},
    {"description", &F::description},
    {"remediation_text", &F::remediation_text},
    {"remediation_url", &F::remediation_url},
}};
struct TimeColumn {
  std::string_view name;
  Timestamp F::*member;
};
constexpr std::array<TimeColumn, 4> kTimes{{
    {"created_at", &F::created_at},
    {"updated_at", &F::updated_at},
    {"first_observed_at", &F::first_observed_at},
    {"last_observed_at", &F::last_observed_at},
}};
// After those: resources (JSON), resource_id, resource_type_id.
constexpr int kTail = 3;

template <class Fn>
void each_column(Fn&& fn) {
  for (const auto& c : kInline) fn(std::string{c.name});
  for (const auto& c : kShared) fn(std::string{c.name} + "_id");
  for (const auto& c : kTimes) fn(std::string{c.name});
  for (const char* c : {"resources", "resource_id", "resource_type_id"}) fn(std::string{c});
}

std::string column_list() {
  std::string out;
  each_column([&](const std::string& name) { out += (out.empty() ? "" : ", ") + name; });
  return out;
}

// Without backslashes every string sits between two quotes, so the JSON that
// encode_resources wrote can be read in place; anything else takes the general parser.
bool decode_plain(std::string_view json, std::vector<Resource>& out) {
  out.clear();
  std::size_t i = 0;
  const auto string_at = [&](std::string_view& s) {
    if (i >= json.size() || json[i] != '"') return false;
    const std::size_t end = json.find('"', i + 1);
    if (end == std::string_view::npos) return false;
    s = json.substr(i + 1, end - i - 1);
    i = end + 1;
    return true;
  };
  if (json.empty() || json[i++] != '[') return false;
  while (i < json.size() && json[i] != ']') {
    if (json[i] == ',') ++i;
    if (i >= json.size() || json[i++] != '{') return false;
    Resource r;
    while (i < json.size() && json[i] != '}') {
      if (json[i] == ',') ++i;
      std::string_view key, value;
      if (!string_at(key) || i >= json.size() || json[i++] != ':' || !string_at(value)) return false;
      if (key == "Type") r.type = value;
      else if (key == "Id") r.id = value;
      else if (key == "Region") r.region = value;
      else if (key == "Partition") r.partition = value;
    }
    ++i;  // '}'
    out.push_back(r);
  }
  return i < json.size();
}

}  // namespace

std::string_view finding_columns() noexcept {
  static const std::string list = column_list();
  return list;
}

int finding_column_count() noexcept {
  return static_cast<int>(kInline.size() + kShared.size() + kTimes.size()) + kTail;
}

std::string finding_assignments(int first) {
  std::string out;
  int n = first;
  each_column([&](const std::string& name) {
    out += (out.empty() ? "" : ", ") + name + " = ?" + std::to_string(n++);
  });
  return out;
}

std::string findings_view_sql() {
  std::string columns = "s.rowid AS row", joins;
  for (const auto& c : kInline) columns += ", s." + std::string{c.name};
  int t = 0;
  for (const auto& c : kShared) {
    const std::string alias = "t" + std::to_string(t++);
    columns += ", " + alias + ".text AS " + std::string{c.name};
    joins += " LEFT JOIN texts " + alias + " ON " + alias + ".id = s." + std::string{c.name} + "_id";
  }
  columns += ", s.resources, s.resource_id, rt.text AS resource_type";
  joins += " LEFT JOIN texts rt ON rt.id = s.resource_type_id";
  for (const auto& c : kTimes) columns += ", s." + std::string{c.name};
  columns += ", s.first_seen, s.last_seen, s.events, s.change_seq, s.content_hash";
  return "CREATE VIEW findings AS SELECT " + columns + " FROM finding_states s" + joins + ";";
}

void bind_finding(Statement& stmt, int first, const Finding& f, std::string& resources, TextIds& texts) {
  int n = first;
  for (const auto& c : kInline) stmt.bind(n++, f.*c.member);
  for (const auto& c : kShared) {
    if (const std::int64_t id = texts.id(f.*c.member)) stmt.bind(n++, id);
    else stmt.bind_null(n++);
  }
  for (const auto& c : kTimes) {
    if (f.*c.member) stmt.bind(n++, static_cast<std::int64_t>(f.*c.member));
    else stmt.bind_null(n++);
  }
  resources = encode_resources(f.resources);
  stmt.bind(n++, std::string_view{resources});
  stmt.bind(n++, f.resources.empty() ? std::string_view{} : f.resources.front().id);
  const std::int64_t type = f.resources.empty() ? 0 : texts.id(f.resources.front().type);
  if (type) stmt.bind(n++, type);
  else stmt.bind_null(n++);
}

void read_finding(const Statement& stmt, int first, Finding& f, StoredFindings& into) {
  int n = first;
  for (const auto& c : kInline) f.*c.member = into.keep(stmt.text(n++));
  for (const auto& c : kShared) {
    f.*c.member = into.texts[stmt.integer(n++)];
  }
  for (const auto& c : kTimes) f.*c.member = stmt.integer(n++);
  thread_local std::string unescaped;
  decode_resources(stmt.text(n++), f.resources, unescaped);
  for (Resource& r : f.resources)
    for (std::string_view* s : {&r.type, &r.id, &r.region, &r.partition}) *s = into.keep(*s);
}

std::string encode_resources(const std::vector<Resource>& resources) {
  // Written by hand: this runs for every stored finding, and building nlohmann objects for
  // it was a tenth of the store's write time. Text is valid UTF-8 (the reader checked).
  std::string out = "[";
  const auto string = [&out](std::string_view s) {
    out += '"';
    for (const char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (u < 0x20) {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out += kHex[u >> 4];
        out += kHex[u & 15];
      } else {
        out += c;
      }
    }
    out += '"';
  };
  for (const Resource& r : resources) {
    if (out.size() > 1) out += ',';
    out += '{';
    bool first = true;
    for (const auto& [key, value] : {std::pair{"Type", r.type}, std::pair{"Id", r.id},
                                     std::pair{"Region", r.region}, std::pair{"Partition", r.partition}}) {
      if (value.empty() && std::string_view{key} != "Id") continue;
      if (!first) out += ',';
      first = false;
      out += '"';
      out += key;
      out += "\":";
      string(value);
    }
    out += '}';
  }
  return out + "]";
}

bool decode_resources(std::string_view json, std::vector<Resource>& out, std::string& unescaped) {
  if (json.find('\\') == std::string_view::npos && decode_plain(json, out)) return true;
  // Rare: text with quotes, backslashes or control characters. Lay the unescaped strings out
  // in one buffer, sized first, so the views stay valid.
  out.clear();
  const auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (!parsed.is_array()) return false;
  std::size_t total = 0;
  for (const auto& r : parsed)
    for (const char* k : {"Type", "Id", "Region", "Partition"})
      if (r.is_object() && r.contains(k) && r[k].is_string()) total += r[k].get_ref<const std::string&>().size();
  unescaped.clear();
  unescaped.reserve(total);
  for (const auto& r : parsed) {
    if (!r.is_object()) continue;
    Resource res;
    const auto take = [&](const char* key, std::string_view& into) {
      if (!r.contains(key) || !r[key].is_string()) return;
      const auto& s = r[key].get_ref<const std::string&>();
      into = std::string_view(unescaped.data() + unescaped.size(), s.size());
      unescaped += s;
    };
    take("Type", res.type);
    take("Id", res.id);
    take("Region", res.region);
    take("Partition", res.partition);
    out.push_back(res);
  }
  return true;
}

}  // namespace cspm::store
