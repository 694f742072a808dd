// Log entries, varint-framed: rejected records (line, size, reason, text), then per finding
// (dictionary id, bytes). Findings are parsed again from their JSON when read back, so the
// log needs no second description of a finding.
#include "ingest_log.hpp"

#include <functional>
#include <map>

#include "raw_codec.hpp"
#include "sqlite_store.hpp"

namespace cspm::store {
namespace {

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_bytes(std::string& out, std::string_view bytes) {
  put_varint(out, bytes.size());
  out.append(bytes);
}

bool get_varint(std::string_view& in, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const auto byte = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    v |= std::uint64_t{byte & 0x7fu} << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

bool get_bytes(std::string_view& in, std::string_view& bytes) {
  std::uint64_t size = 0;
  if (!get_varint(in, size) || size > in.size()) return false;
  bytes = in.substr(0, size);
  in.remove_prefix(size);
  return true;
}

// Codecs of the dictionaries entries name, each loaded once.
class Dictionaries {
 public:
  explicit Dictionaries(std::function<Database&()> store) : store_(std::move(store)) {}
  RawCodec* codec(std::int64_t id) {
    auto it = codecs_.find(id);
    if (it == codecs_.end()) {
      auto stmt = store_().prepare("SELECT dict FROM raw_dicts WHERE id = ?1");
      stmt.bind(1, id);
      it = codecs_.emplace(id, stmt.step() ? std::make_unique<RawCodec>(std::string{stmt.blob(0)}) : nullptr).first;
    }
    return it->second.get();
  }

 private:
  std::function<Database&()> store_;
  std::map<std::int64_t, std::unique_ptr<RawCodec>> codecs_;
};

// An entry's rejected records and findings' JSON, or why they cannot be had.
std::string decode_entry(std::string_view entry, Dictionaries& dictionaries, ParsedBatch& batch,
                         std::vector<std::string>& documents) {
  std::uint64_t rejected = 0;
  if (!get_varint(entry, rejected)) return "the entry is truncated";
  for (std::uint64_t i = 0; i < rejected; ++i) {
    RejectedRecord& r = batch.rejected.emplace_back();
    std::string_view reason, record;
    if (!get_varint(entry, r.line) || !get_varint(entry, r.record_bytes) || !get_bytes(entry, reason) ||
        !get_bytes(entry, record))
      return "the entry is truncated";
    r.reason.assign(reason);
    r.record.assign(record);
  }
  while (!entry.empty()) {
    std::uint64_t dict = 0;
    std::string_view bytes;
    if (!get_varint(entry, dict) || !get_bytes(entry, bytes)) return "the entry is truncated";
    std::string& json = documents.emplace_back();
    if (dict == 0) {
      json.assign(bytes);
      continue;
    }
    RawCodec* codec = dictionaries.codec(static_cast<std::int64_t>(dict));
    if (!codec) return "its dictionary " + std::to_string(dict) + " is not in the store";
    if (!codec->decompress(bytes, json)) return "a finding does not decompress with dictionary " + std::to_string(dict);
  }
  return {};
}

}  // namespace

std::filesystem::path ingest_log_file(const std::filesystem::path& data_dir) { return data_dir / "ingest-log.db"; }

std::string encode_log_entry(const ParsedBatch& batch) {
  std::size_t size = 8;
  for (const RejectedRecord& r : batch.rejected) size += 32 + r.reason.size() + r.record.size();
  for (const ReceivedFinding& f : batch.findings) size += 12 + (f.body->dict ? f.body->packed.size() : f.body->finding.raw().size());
  std::string entry;
  entry.reserve(size);
  put_varint(entry, batch.rejected.size());
  for (const RejectedRecord& r : batch.rejected) {
    put_varint(entry, r.line);
    put_varint(entry, r.record_bytes);
    put_bytes(entry, r.reason);
    put_bytes(entry, r.record);
  }
  for (const ReceivedFinding& f : batch.findings) {
    const ReceivedBody& b = *f.body;
    put_varint(entry, static_cast<std::uint64_t>(b.dict));
    put_bytes(entry, b.dict ? std::string_view{b.packed} : b.finding.raw());
  }
  return entry;
}

IngestLog::IngestLog(const std::filesystem::path& data_dir) : data_dir_(data_dir), db_(open_in_data_dir(data_dir, ingest_log_file(data_dir))) {
  // As the store: a commit that returned survives a power cut. Checkpoints every 16 MB:
  // entries live a second or two, so most pages are freed and reused before then.
  db_.exec("PRAGMA journal_mode = WAL");
  db_.exec("PRAGMA synchronous = FULL");
  db_.exec("PRAGMA wal_autocheckpoint = 4096");
  db_.exec(
      "CREATE TABLE IF NOT EXISTS ingest_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, received_at INTEGER NOT NULL, "
      "source TEXT NOT NULL, entry BLOB NOT NULL)");
}

std::vector<std::int64_t> IngestLog::commit(std::span<const Append> appends, Timestamp received_at,
                                            std::span<const std::int64_t> remove) {
  std::vector<std::int64_t> seqs;
  Transaction tx{db_};
  if (!remove.empty()) {
    auto del = db_.prepare("DELETE FROM ingest_log WHERE seq = ?1");
    for (const std::int64_t seq : remove) {
      del.bind(1, seq);
      del.run();
      del.reset();
    }
  }
  if (!appends.empty()) {
    auto add = db_.prepare("INSERT INTO ingest_log (received_at, source, entry) VALUES (?1, ?2, ?3)");
    for (const Append& a : appends) {
      add.bind(1, received_at).bind(2, a.source).bind_blob(3, a.entry);
      add.run();
      add.reset();
      seqs.push_back(db_.last_insert_rowid());
    }
  }
  tx.commit();
  return seqs;
}

std::vector<LoggedBatch> IngestLog::read(std::int64_t after_seq, std::size_t limit) {
  std::vector<LoggedBatch> out;
  Dictionaries dictionaries{[this]() -> Database& {
    if (!store_) store_ = std::make_unique<Database>(store_file(data_dir_).string(), Database::Mode::read_only);
    return *store_;
  }};
  auto stmt = db_.prepare("SELECT seq, received_at, source, entry FROM ingest_log WHERE seq > ?1 ORDER BY seq LIMIT ?2");
  stmt.bind(1, after_seq).bind(2, static_cast<std::int64_t>(limit));
  std::vector<std::string> documents;
  while (stmt.step()) {
    LoggedBatch& logged = out.emplace_back();
    logged.seq = stmt.integer(0);
    logged.received_at = stmt.integer(1);
    std::string source{stmt.text(2)};
    const std::string_view entry = stmt.blob(3);
    ParsedBatch rejected;
    documents.clear();
    // A store that cannot be read throws (the entry stays for a later start); only an entry
    // that can never be read becomes a record for the quarantine.
    if (const std::string why = decode_entry(entry, dictionaries, rejected, documents); !why.empty()) {
      logged.batch.source = std::move(source);
      logged.batch.rejected.push_back(
          {0, "ingest log entry " + std::to_string(logged.seq) + " cannot be read: " + why, {}, entry.size()});
      continue;
    }
    logged.batch = parse_batch(std::move(source), documents, nullptr);
    logged.batch.rejected.insert(logged.batch.rejected.begin(), std::make_move_iterator(rejected.rejected.begin()),
                                 std::make_move_iterator(rejected.rejected.end()));
  }
  return out;
}

std::int64_t IngestLog::size() {
  auto stmt = db_.prepare("SELECT count(*) FROM ingest_log");
  return stmt.step() ? stmt.integer(0) : 0;
}

}  // namespace cspm::store
