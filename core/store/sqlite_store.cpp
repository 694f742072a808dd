// SQLite store: batched upserts that never let an older UpdatedAt win, snapshot reads, runs.
#include "sqlite_store.hpp"

#include <algorithm>
#include <system_error>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "finding_columns.hpp"
#include "text_dictionary.hpp"
#include "schema.hpp"

namespace cspm::store {
namespace {

constexpr std::size_t kQuarantineText = 64 * 1024;  // enough to see and replay most records

// 64 bits of the identity: an index key, not a proof (rows are compared in full).
std::int64_t identity_hash(const Finding& f) {
  const std::uint64_t h = XXH3_64bits_withSeed(f.id.data(), f.id.size(),
                                               XXH3_64bits(f.product_arn.data(), f.product_arn.size()));
  return static_cast<std::int64_t>(h);
}

// Where a version came from: which ingest, and where in its input.
struct Origin {
  Timestamp updated_at = 0;
  std::uint64_t content = 0;
  std::int64_t ingest = 0;
  std::uint64_t position = 0;
};

// A newer UpdatedAt wins. An equal one with other content wins only if it came later in the
// same ingest (see Store::begin_write).
bool newer(const Origin& v, const Origin& than) {
  if (v.updated_at != than.updated_at) return v.updated_at > than.updated_at;
  return v.content != than.content && v.ingest == than.ingest && v.position > than.position;
}

class SqliteWriter final : public StoreWriter {
 public:
  SqliteWriter(Database& db, TextIds& texts, KnownRows& known, Timestamp received_at, std::int64_t ingest_id)
      : db_(db), tx_(db), received_at_(received_at), ingest_id_(ingest_id),
        texts_(texts), known_(known),
        find_(db.prepare("SELECT rowid, updated_at, content_hash, product_arn, finding_id, ingest_id, "
                         "position FROM finding_states WHERE identity_hash = ?1")),
        raw_(db.prepare("INSERT OR REPLACE INTO finding_raw (finding, dict, raw) VALUES (?1, ?2, ?3)")),
        insert_(db.prepare(insert_sql())),
        update_(db.prepare(update_sql())),
        touch_(db.prepare("UPDATE finding_states SET last_seen = ?1, events = events + ?2 WHERE rowid = ?3")),
        observe_(db.prepare(observe_sql(kObservationsPerInsert))),
        quarantine_(db.prepare(
            "INSERT INTO quarantine (first_seen, last_seen, times, source, line, reason, record, "
            "record_bytes, record_hash) VALUES (?1, ?1, 1, ?2, ?3, ?4, ?5, ?6, ?7) "
            "ON CONFLICT (record_hash, reason) DO UPDATE SET last_seen = excluded.last_seen, "
            "times = times + 1")) {
    texts_.begin();
    known_.begin(db_);
    auto seq = db.prepare("SELECT coalesce(max(change_seq), 0) FROM finding_states");
    seq.step();
    change_seq_ = seq.integer(0);
  }

  std::optional<std::pair<std::int64_t, std::string>> raw_dictionary() override {
    auto dict = db_.prepare("SELECT id, dict FROM raw_dicts ORDER BY id DESC LIMIT 1");
    if (!dict.step()) return std::nullopt;
    return std::pair{dict.integer(0), std::string{dict.text(1)}};
  }

  std::int64_t add_raw_dictionary(std::string_view dictionary) override {
    db_.prepare("INSERT INTO raw_dicts (created_at, dict) VALUES (?1, ?2)")
        .bind(1, received_at_).bind_blob(2, dictionary).run();
    return db_.last_insert_rowid();
  }

  void put(const Finding& latest, PackedRaw raw, std::span<const Version> versions,
           IngestCounts& counts) override {
    const std::int64_t identity = identity_hash(latest);
    const IdentityKey key = identity_key(latest);
    std::int64_t row = 0;
    Origin stored_state;
    bool stored = false;
    if (const KnownRow* known = known_.find(key)) {
      stored = true;
      row = known->row;
      stored_state = {known->updated_at, known->content, known->ingest, known->position};
    } else {
      find_.bind(1, identity);
      while (!stored && find_.step()) {  // rows sharing the hash: compare the identity itself
        if (find_.text(3) != latest.product_arn || find_.text(4) != latest.id) continue;
        stored = true;
        row = find_.integer(0);
        stored_state = {find_.integer(1), static_cast<std::uint64_t>(find_.integer(2)), find_.integer(5),
                        static_cast<std::uint64_t>(find_.integer(6))};
      }
      find_.reset();
    }

    // Classify each version against the state it met, as an event-by-event load would.
    // The winner is the newest version, the latest in the input on a tie (as the ingest chose
    // `latest`).
    const auto later = [](const Origin& a, const Origin& b) {
      return a.updated_at != b.updated_at ? a.updated_at > b.updated_at : a.position > b.position;
    };
    bool have = stored;
    Origin current = stored_state;
    Origin winner = versions.empty() ? Origin{}
                                     : Origin{versions.front().updated_at, versions.front().content, ingest_id_,
                                              versions.front().position};
    for (const Version& v : versions) {
      const Origin origin{v.updated_at, v.content, ingest_id_, v.position};
      if (later(origin, winner)) winner = origin;
      ++counts.findings;
      if (!have) {
        ++counts.findings_new;
        have = true;
      } else if (newer(origin, current)) {
        ++counts.findings_updated;
      } else {
        ++counts.stale;
        continue;
      }
      current = origin;
    }

    const std::uint64_t content = winner.content;  // latest's: the callers hashed each version as they read it
    const auto events = static_cast<std::int64_t>(versions.size());
    const int n = finding_column_count();
    if (!stored) {
      bind_finding(insert_, 1, latest, resources_, texts_);
      insert_.bind(n + 1, received_at_).bind(n + 2, received_at_).bind(n + 3, events)
          .bind(n + 4, ++change_seq_).bind(n + 5, static_cast<std::int64_t>(content)).bind(n + 6, identity)
          .bind(n + 7, ingest_id_).bind(n + 8, static_cast<std::int64_t>(winner.position));
      insert_.run();
      row = db_.last_insert_rowid();
      write_raw(row, raw);
      known_.put(key, {row, winner.updated_at, content, ingest_id_, winner.position});
    } else if (newer(winner, stored_state)) {
      bind_finding(update_, 1, latest, resources_, texts_);
      update_.bind(n + 1, received_at_).bind(n + 2, events).bind(n + 3, ++change_seq_)
          .bind(n + 4, static_cast<std::int64_t>(content)).bind(n + 5, ingest_id_)
          .bind(n + 6, static_cast<std::int64_t>(winner.position)).bind(n + 7, row);
      update_.run();
      write_raw(row, raw);
      known_.put(key, {row, winner.updated_at, content, ingest_id_, winner.position});
    } else {
      touch_.bind(1, received_at_).bind(2, events).bind(3, row).run();
      known_.put(key, {row, stored_state.updated_at, stored_state.content, stored_state.ingest, stored_state.position});
    }
    for (const Version& v : versions) observations_.push_back({v.updated_at, row, v.state});
  }

  void quarantine(const QuarantineRecord& r, IngestCounts& counts) override {
    ++counts.quarantined;
    std::uint64_t hash = XXH3_64bits(r.record.data(), r.record.size());
    if (r.record.empty()) {  // an oversized record: identify it by where it was
      const std::string where = std::string{r.source} + ":" + std::to_string(r.line) + ":" +
                                std::to_string(r.record_bytes);
      hash = XXH3_64bits(where.data(), where.size());
    }
    quarantine_.bind(1, received_at_).bind(2, r.source.empty() ? std::string_view{"-"} : r.source)
        .bind(3, static_cast<std::int64_t>(r.line)).bind(4, r.reason)
        .bind(5, r.record.substr(0, kQuarantineText))
        .bind(6, static_cast<std::int64_t>(r.record_bytes))
        .bind(7, static_cast<std::int64_t>(hash));
    quarantine_.run();
  }

  ~SqliteWriter() override {
    if (!committed_) {  // the transaction rolls back with tx_
      texts_.rollback();
      known_.rollback();
    }
  }

  void commit() override {
    write_observations();
    tx_.commit();
    texts_.commit();
    known_.commit(db_);
    committed_ = true;
  }

 private:
  void write_raw(std::int64_t row, PackedRaw raw) {
    raw_.bind(1, row).bind(2, raw.dict);
    if (raw.dict) raw_.bind_blob(3, raw.bytes);
    else raw_.bind(3, raw.bytes);
    raw_.run();
  }


  // Observations go in many rows per statement: per-statement overhead was most of their cost.
  static constexpr std::size_t kObservationsPerInsert = 200;
  struct Observation {
    Timestamp updated_at;
    std::int64_t finding;
    std::uint16_t state;
  };
  static std::string observe_sql(std::size_t rows) {
    std::string sql = "INSERT OR IGNORE INTO observations (updated_at, finding, state) VALUES ";
    for (std::size_t i = 0; i < rows; ++i) sql += i ? ", (?, ?, ?)" : "(?, ?, ?)";
    return sql;
  }
  // In key order, so that the B-tree is appended to rather than split all over: identities
  // come in file order, their versions' times span the whole day.
  void write_observations() {
    std::sort(observations_.begin(), observations_.end(), [](const Observation& a, const Observation& b) {
      return a.updated_at != b.updated_at ? a.updated_at < b.updated_at : a.finding < b.finding;
    });
    for (std::size_t at = 0; at < observations_.size(); at += kObservationsPerInsert) {
      const std::size_t n = std::min(kObservationsPerInsert, observations_.size() - at);
      Statement partial = n == kObservationsPerInsert ? Statement{db_, nullptr} : db_.prepare(observe_sql(n));
      Statement& stmt = n == kObservationsPerInsert ? observe_ : partial;
      for (std::size_t k = at; k < at + n; ++k) {
        const Observation& o = observations_[k];
        const int i = 3 * static_cast<int>(k - at) + 1;
        stmt.bind(i, static_cast<std::int64_t>(o.updated_at)).bind(i + 1, o.finding).bind(i + 2, std::int64_t{o.state});
      }
      stmt.run();
    }
    observations_.clear();
  }
  static std::string insert_sql() {
    std::string params;
    const int n = finding_column_count() + 8;
    for (int i = 1; i <= n; ++i) params += (i > 1 ? ", ?" : "?") + std::to_string(i);
    return "INSERT INTO finding_states (" + std::string{finding_columns()} +
           ", first_seen, last_seen, events, change_seq, content_hash, identity_hash, ingest_id, position) VALUES (" +
           params + ")";
  }
  static std::string update_sql() {
    const int n = finding_column_count();
    return "UPDATE finding_states SET " + finding_assignments(1) + ", last_seen = ?" + std::to_string(n + 1) +
           ", events = events + ?" + std::to_string(n + 2) + ", change_seq = ?" + std::to_string(n + 3) +
           ", content_hash = ?" + std::to_string(n + 4) + ", ingest_id = ?" + std::to_string(n + 5) +
           ", position = ?" + std::to_string(n + 6) + " WHERE rowid = ?" + std::to_string(n + 7);
  }

  Database& db_;
  Transaction tx_;
  Timestamp received_at_;
  std::int64_t ingest_id_;
  std::int64_t change_seq_ = 0;
  TextIds& texts_;
  KnownRows& known_;
  bool committed_ = false;
  Statement find_, raw_, insert_, update_, touch_, observe_, quarantine_;
  std::string resources_;
  std::vector<Observation> observations_;
};

// Writes touch index pages all over the table: 64 MB keeps a day's hot ones.
constexpr const char* kWriterCache = "PRAGMA cache_size = -65536";

}  // namespace

std::filesystem::path store_file(const std::filesystem::path& data_dir) { return data_dir / "cspm.db"; }

Database open_in_data_dir(const std::filesystem::path& data_dir, const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec)
    throw SqliteError(0, data_dir.string() + ": cannot create the data directory: " + ec.message());
  return Database{file.string(), Database::Mode::read_write_create};
}

SqliteStore::SqliteStore(const std::filesystem::path& data_dir) : db_(open_in_data_dir(data_dir, store_file(data_dir))) {
  // WAL: readers (runs, queries) never block the writer (ingest) or each other.
  // synchronous=FULL: a commit that returned survives a power cut, not only kill -9.
  db_.exec("PRAGMA journal_mode = WAL");
  db_.exec("PRAGMA synchronous = FULL");
  db_.exec(kWriterCache);
  db_.exec("PRAGMA wal_autocheckpoint = 16384");
  migrate(db_);
}

SqliteStore::~SqliteStore() = default;

std::unique_ptr<StoreWriter> SqliteStore::begin_write(Timestamp received_at, std::int64_t ingest_id) {
  return std::make_unique<SqliteWriter>(db_, texts_, known_, received_at, ingest_id);
}

std::uint64_t SqliteStore::prune_observations(Timestamp before) {
  Transaction tx{db_};
  db_.prepare("DELETE FROM observations WHERE updated_at < ?1").bind(1, before).run();
  const auto n = static_cast<std::uint64_t>(db_.changes());
  tx.commit();
  return n;
}

std::uint64_t SqliteStore::select(const StoreSelection& selection,
                                  std::optional<std::uint64_t> changed_after, StoredFindings& into) {
  // The scan reads each page once: the writers' 64 MB page cache would only be allocated and
  // faulted in (a third of a run over a month's store). 8 MB holds the texts' index and
  // the pages a watermark selection revisits.
  struct SmallCache {
    Database& db;
    explicit SmallCache(Database& d) : db(d) { db.exec("PRAGMA cache_size = -8192"); }
    ~SmallCache() {
      try {
        db.exec(kWriterCache);
      } catch (...) {  // only a slower next write
      }
    }
  } small_cache{db_};
  // One read transaction: the high-water mark and the rows come from the same snapshot.
  db_.exec("BEGIN");
  try {
    auto high = db_.prepare("SELECT coalesce(max(change_seq), 0) FROM finding_states");
    high.step();
    const std::int64_t watermark = high.integer(0);
    into.texts = load_texts(db_);
    // A day's window holds most of the table: a scan beats an index walk with a row lookup
    // per finding. A watermark selects few rows: there the change_seq index pays.
    std::string sql = "SELECT " + std::string{finding_columns()} + " FROM finding_states WHERE ";
    if (changed_after) sql += "last_observed_at >= ?1 AND change_seq <= ?2 AND change_seq > ?3";
    else sql += "+last_observed_at >= ?1 AND +change_seq <= ?2";
    auto rows = db_.prepare(sql);
    rows.bind(1, selection.observed_since).bind(2, watermark);
    if (changed_after) rows.bind(3, static_cast<std::int64_t>(*changed_after));
    while (rows.step()) read_finding(rows, 0, into.add(), into);
    db_.exec("COMMIT");
    return static_cast<std::uint64_t>(watermark);
  } catch (...) {
    db_.exec("ROLLBACK");
    throw;
  }
}

std::int64_t SqliteStore::begin_run(std::string_view pipeline, Timestamp started_at, Timestamp now,
                                    bool dry_run) {
  db_.prepare("INSERT INTO runs (pipeline, started_at, now, dry_run, outcome) VALUES (?1, ?2, ?3, ?4, 'running')")
      .bind(1, pipeline).bind(2, started_at).bind(3, now).bind(4, std::int64_t{dry_run}).run();
  return db_.last_insert_rowid();
}

void SqliteStore::finish_run(std::int64_t id, bool success, Timestamp finished_at,
                             std::optional<std::uint64_t> watermark, std::string_view counts_json,
                             std::string_view error) {
  auto stmt = db_.prepare("UPDATE runs SET outcome = ?1, finished_at = ?2, watermark = ?3, counts = ?4, "
                          "error = ?5 WHERE id = ?6");
  stmt.bind(1, success ? std::string_view{"success"} : std::string_view{"failure"}).bind(2, finished_at);
  if (watermark) stmt.bind(3, static_cast<std::int64_t>(*watermark));
  else stmt.bind_null(3);
  stmt.bind(4, counts_json).bind(5, error).bind(6, id).run();
}

std::optional<std::uint64_t> SqliteStore::last_success(std::string_view pipeline) {
  auto stmt = db_.prepare("SELECT watermark FROM runs WHERE pipeline = ?1 AND outcome = 'success' "
                          "AND dry_run = 0 AND watermark IS NOT NULL ORDER BY id DESC LIMIT 1");
  stmt.bind(1, pipeline);
  if (!stmt.step()) return std::nullopt;
  return static_cast<std::uint64_t>(stmt.integer(0));
}

std::vector<RunRecord> SqliteStore::runs(std::string_view pipeline, std::size_t limit) {
  auto stmt = db_.prepare("SELECT id, pipeline, started_at, coalesce(finished_at, 0), now, dry_run, outcome, "
                          "watermark, coalesce(counts, ''), coalesce(error, '') FROM runs "
                          "WHERE ?1 IS NULL OR pipeline = ?1 ORDER BY id DESC LIMIT ?2");
  stmt.bind(1, pipeline).bind(2, static_cast<std::int64_t>(limit));
  std::vector<RunRecord> out;
  while (stmt.step()) {
    RunRecord r;
    r.id = stmt.integer(0);
    r.pipeline = stmt.text(1);
    r.started_at = stmt.integer(2);
    r.finished_at = stmt.integer(3);
    r.now = stmt.integer(4);
    r.dry_run = stmt.integer(5) != 0;
    r.outcome = stmt.text(6);
    if (!stmt.is_null(7)) r.watermark = static_cast<std::uint64_t>(stmt.integer(7));
    r.counts_json = stmt.text(8);
    r.error = stmt.text(9);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace cspm::store
