// Migrations: append new steps, never edit a released one (stores in the field ran it).
#include "schema.hpp"

#include "finding_columns.hpp"
#include "observation_state.hpp"

#include <array>
#include <string>

#include <sqlite3.h>

namespace cspm::store {
namespace {

// Version 1: what ingest writes. Timestamps are UTC milliseconds; text columns hold the
// normalized fields the pipelines and `cspmd query` read; finding_raw the latest JSON.
constexpr const char* kVersion1 = R"sql(
-- Text that many findings share (titles, descriptions, regions, statuses…), once each.
CREATE TABLE texts (
  id   INTEGER PRIMARY KEY,
  text TEXT NOT NULL UNIQUE
);

-- The latest state per identity. Shared text is by id (<name>_id -> texts); the
-- `findings` view (finding_columns.cpp) spells it out and is what queries read.
CREATE TABLE finding_states (
  product_arn           TEXT NOT NULL,
  finding_id            TEXT NOT NULL,
  account_id            TEXT NOT NULL,
  source_url            TEXT,
  account_name_id       INTEGER,
  region_id             INTEGER,
  type_id               INTEGER,
  generator_id_id       INTEGER,
  control_id_id         INTEGER,
  product_name_id       INTEGER,
  severity_id           INTEGER,
  compliance_status_id  INTEGER,
  workflow_status_id    INTEGER,
  record_state_id       INTEGER,
  title_id              INTEGER,
  description_id        INTEGER,
  remediation_text_id   INTEGER,
  remediation_url_id    INTEGER,
  created_at            INTEGER,
  updated_at            INTEGER NOT NULL,
  first_observed_at     INTEGER,
  last_observed_at      INTEGER NOT NULL,
  resources             TEXT NOT NULL,   -- JSON: [{"Type", "Id", "Region", "Partition"}]
  resource_id           TEXT NOT NULL,   -- Resources[0].Id, for queries
  resource_type_id      INTEGER,
  first_seen            INTEGER NOT NULL, -- when this store first received the finding
  last_seen             INTEGER NOT NULL, -- when it last received any version of it
  events                INTEGER NOT NULL, -- versions received
  change_seq            INTEGER NOT NULL, -- store-wide counter, bumped when the state changes
  content_hash          INTEGER NOT NULL,
  identity_hash         INTEGER NOT NULL, -- of (product_arn, finding_id); see sqlite_store.cpp
  ingest_id             INTEGER NOT NULL, -- which ingest stored this version, and where in its
  position              INTEGER NOT NULL  -- input: settles UpdatedAt ties (Store::begin_write)
);
-- Lookups go through a small integer index; one over the long identity strings was most of
-- the ingest's page writes. The single writer (BEGIN IMMEDIATE) keeps identities unique.
CREATE INDEX finding_states_identity ON finding_states (identity_hash);
CREATE INDEX finding_states_change_seq ON finding_states (change_seq);

-- The latest version's JSON as received, apart so that scans of finding_states stay small.
-- dict 0: raw is the JSON text; else raw is zstd compressed with raw_dicts(dict).
-- `cspmd query --sql` offers raw_json(findings.row) to read it back.
CREATE TABLE finding_raw (
  finding INTEGER PRIMARY KEY,  -- finding_states.rowid
  dict    INTEGER NOT NULL,
  raw     BLOB NOT NULL
);
CREATE TABLE raw_dicts (
  id         INTEGER PRIMARY KEY,
  created_at INTEGER NOT NULL,
  dict       BLOB NOT NULL
);

-- One compact row per version received; the key makes re-ingest a no-op. Time first:
-- versions arrive roughly in time order, so inserts append, and retention deletes a range.
-- state packs severity, compliance, workflow and record state (observation_state.hpp);
-- the observation_states view spells them out.
CREATE TABLE observations (
  updated_at INTEGER NOT NULL,
  finding    INTEGER NOT NULL,  -- finding_states.rowid (findings.row)
  state      INTEGER NOT NULL,
  PRIMARY KEY (updated_at, finding)
) WITHOUT ROWID;

-- Records that could not be stored, with enough to find, fix and replay them.
CREATE TABLE quarantine (
  id           INTEGER PRIMARY KEY,
  first_seen   INTEGER NOT NULL,
  last_seen    INTEGER NOT NULL,
  times        INTEGER NOT NULL,
  source       TEXT NOT NULL,
  line         INTEGER,
  reason       TEXT NOT NULL,
  record       TEXT,              -- the record, cut at 64 KiB
  record_bytes INTEGER NOT NULL,
  record_hash  INTEGER NOT NULL,
  UNIQUE (record_hash, reason)
);
)sql";

// Version 2: pipeline runs and their watermarks.
constexpr const char* kVersion2 = R"sql(
CREATE TABLE runs (
  id          INTEGER PRIMARY KEY,
  pipeline    TEXT NOT NULL,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  now         INTEGER NOT NULL,
  dry_run     INTEGER NOT NULL,
  outcome     TEXT NOT NULL,       -- running | success | failure
  watermark   INTEGER,             -- findings.change_seq the run read up to
  counts      TEXT,                -- JSON object of the run's statistics
  error       TEXT
);
CREATE INDEX runs_pipeline ON runs (pipeline, outcome, id);
)sql";

// Version 3: the ticket ledger (ticket_ledger.hpp) and a cache for tracker lookups.
constexpr const char* kVersion3 = R"sql(
CREATE TABLE ledger (
  tracker      TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  pipeline     TEXT,
  state        TEXT NOT NULL,     -- creating | open | resolved | closed
  issue_key    TEXT,
  issue_id     TEXT,
  attempt      TEXT,
  content_hash TEXT,
  previous_key TEXT,
  resolution   TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  closed_at    INTEGER,
  last_planned INTEGER,
  reopened     INTEGER NOT NULL DEFAULT 0,
  lease_owner  TEXT,             -- who may write this fingerprint now (claim), and until when
  lease_until  INTEGER,
  PRIMARY KEY (tracker, fingerprint)
) WITHOUT ROWID;

CREATE TABLE tracker_cache (
  tracker    TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (tracker, key)
) WITHOUT ROWID;
)sql";

// Version 4: a revision per ledger row, so that a claim can tell whether the row changed
// since the caller read it (compare-and-swap between processes).
constexpr const char* kVersion4 = R"sql(
ALTER TABLE ledger ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
)sql";

constexpr std::array kMigrations{kVersion1, kVersion2, kVersion3, kVersion4};

void apply(Database& db, int version) {
  db.exec(kMigrations[static_cast<std::size_t>(version - 1)]);
  if (version == 1) {
    db.exec(findings_view_sql());
    db.exec(observation_states_view_sql());
  }
}

}  // namespace

int current_schema_version() noexcept { return static_cast<int>(kMigrations.size()); }

int schema_version(Database& db) {
  auto stmt = db.prepare("PRAGMA user_version");
  return stmt.step() ? static_cast<int>(stmt.integer(0)) : 0;
}

void migrate(Database& db, int target) {
  if (target <= 0) target = current_schema_version();
  const int found = schema_version(db);
  if (found > current_schema_version())
    throw SqliteError(SQLITE_ERROR, db.path() + ": the store has schema version " +
                                        std::to_string(found) + ", newer than this cspmd (" +
                                        std::to_string(current_schema_version()) +
                                        "): upgrade cspmd or use another --data-dir");
  for (int v = found; v < target; ++v) {
    Transaction tx{db};
    // Another process may have migrated since we looked (two first runs at once).
    if (const int now = schema_version(db); now > v) {
      v = now - 1;
      continue;
    }
    apply(db, v + 1);
    db.exec("PRAGMA user_version = " + std::to_string(v + 1));
    tx.commit();
  }
}

}  // namespace cspm::store
