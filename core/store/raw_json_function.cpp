// raw_json(): reads finding_raw, decompresses with a cached dictionary codec.
#include "raw_json_function.hpp"

#include <map>
#include <memory>

#include <sqlite3.h>

#include "raw_codec.hpp"

namespace cspm::store {
namespace {

struct RawReader {
  sqlite3* db;
  std::map<std::int64_t, std::unique_ptr<RawCodec>> codecs;
  std::string json;

  RawCodec* codec(std::int64_t id) {
    auto& slot = codecs[id];
    if (slot) return slot.get();
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT dict FROM raw_dicts WHERE id = ?1", -1, &stmt, nullptr) != SQLITE_OK)
      return nullptr;
    sqlite3_bind_int64(stmt, 1, id);
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, 0));
      slot = std::make_unique<RawCodec>(std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0))));
    }
    sqlite3_finalize(stmt);
    return slot.get();
  }
};

void raw_json(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto* reader = static_cast<RawReader*>(sqlite3_user_data(ctx));
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(reader->db, "SELECT dict, raw FROM finding_raw WHERE finding = ?1", -1, &stmt, nullptr) !=
      SQLITE_OK) {
    sqlite3_result_error(ctx, "raw_json: cannot read finding_raw", -1);
    return;
  }
  sqlite3_bind_int64(stmt, 1, sqlite3_value_int64(argv[0]));
  if (sqlite3_step(stmt) != SQLITE_ROW) {
    sqlite3_finalize(stmt);
    sqlite3_result_null(ctx);
    return;
  }
  const std::int64_t dict = sqlite3_column_int64(stmt, 0);
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, 1));
  const std::string_view blob(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, 1)));
  if (dict == 0) {
    sqlite3_result_text64(ctx, blob.data(), blob.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  } else if (RawCodec* codec = reader->codec(dict); codec && codec->decompress(blob, reader->json)) {
    sqlite3_result_text64(ctx, reader->json.data(), reader->json.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  } else {
    sqlite3_result_error(ctx, "raw_json: cannot decompress (unknown dictionary or damaged data)", -1);
  }
  sqlite3_finalize(stmt);
}

}  // namespace

void register_raw_json(Database& db) {
  auto* reader = new RawReader{db.handle(), {}, {}};
  const int rc = sqlite3_create_function_v2(
      db.handle(), "raw_json", 1, SQLITE_UTF8, reader, raw_json, nullptr, nullptr,
      [](void* p) { delete static_cast<RawReader*>(p); });
  if (rc != SQLITE_OK) db.fail(rc, "cannot register raw_json()");
}

}  // namespace cspm::store
