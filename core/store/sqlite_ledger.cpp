// The ledger's SQL: one row per (tracker, fingerprint), claims as leases in the same row.
#include "sqlite_ledger.hpp"

#include <cerrno>
#include <random>
#include <sstream>

#include <signal.h>
#include <unistd.h>

namespace cspm::store {
namespace {

constexpr const char* kColumns =
    "tracker, fingerprint, state, issue_key, issue_id, attempt, content_hash, previous_key, "
    "resolution, created_at, updated_at, closed_at, last_planned, reopened, pipeline";

LedgerEntry read_entry(Statement& s) {
  LedgerEntry e;
  e.tracker = s.text(0);
  e.fingerprint = s.text(1);
  e.state = s.text(2);
  e.issue_key = s.text(3);
  e.issue_id = s.text(4);
  e.attempt = s.text(5);
  e.content_hash = s.text(6);
  e.previous_key = s.text(7);
  e.resolution = s.text(8);
  e.created_at = s.integer(9);
  e.updated_at = s.integer(10);
  e.closed_at = s.integer(11);
  e.last_planned = s.integer(12);
  e.reopened = static_cast<std::uint32_t>(s.integer(13));
  e.pipeline = s.text(14);
  return e;
}

// Writes every column of `e` and the lease.
void write_entry(Database& db, const LedgerEntry& e, std::string_view owner, Timestamp lease_until) {
  auto s = db.prepare(std::string{"INSERT OR REPLACE INTO ledger ("} + kColumns +
                      ", lease_owner, lease_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                      "?12, ?13, ?14, ?15, ?16, ?17)");
  s.bind(1, e.tracker).bind(2, e.fingerprint).bind(3, e.state).bind(4, e.issue_key).bind(5, e.issue_id);
  s.bind(6, e.attempt).bind(7, e.content_hash).bind(8, e.previous_key).bind(9, e.resolution);
  s.bind(10, e.created_at).bind(11, e.updated_at).bind(12, e.closed_at).bind(13, e.last_planned);
  s.bind(14, static_cast<std::int64_t>(e.reopened)).bind(15, e.pipeline).bind(16, owner);
  if (lease_until) s.bind(17, lease_until);
  else s.bind_null(17);
  s.run();
}

// Runs `body`, turning store errors into a failed Status that names the ledger.
template <class Body>
Status guarded(Body&& body) {
  try {
    body();
    return Status::success();
  } catch (const std::exception& e) {
    return Status::failure(std::string{"ticket ledger: "} + e.what());
  }
}

}  // namespace

Status SqliteLedger::get(std::string_view tracker, std::string_view fingerprint,
                         std::optional<LedgerEntry>& out) {
  out.reset();
  return guarded([&] {
    auto s = db_.prepare(std::string{"SELECT "} + kColumns + " FROM ledger WHERE tracker = ?1 AND fingerprint = ?2");
    s.bind(1, tracker).bind(2, fingerprint);
    if (s.step()) out = read_entry(s);
  });
}

SqliteLedger::SqliteLedger(Database& db) : db_(db) {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) name[0] = '?';
  host_ = name;
  std::random_device rd;
  owner_ = host_ + " " + std::to_string(::getpid()) + " " + std::to_string(rd()) + std::to_string(rd());
}

// A holder on this host whose process is gone: its claim protects nothing any more.
bool SqliteLedger::stale(std::string_view holder) const {
  std::istringstream in{std::string{holder}};
  std::string host;
  long pid = 0;
  if (!(in >> host >> pid) || host != host_ || pid <= 0 || pid == ::getpid()) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

Status SqliteLedger::claim(const LedgerEntry& entry, Timestamp now, Timestamp lease_until, bool& claimed) {
  claimed = false;
  return guarded([&] {
    Transaction tx{db_};  // BEGIN IMMEDIATE: claims by other processes wait for ours
    auto s = db_.prepare("SELECT lease_owner, lease_until FROM ledger WHERE tracker = ?1 AND fingerprint = ?2");
    s.bind(1, entry.tracker).bind(2, entry.fingerprint);
    if (s.step() && !s.is_null(1) && s.integer(1) > now && s.text(0) != owner_ && !stale(s.text(0))) return;
    write_entry(db_, entry, owner_, lease_until);
    tx.commit();
    claimed = true;
  });
}

Status SqliteLedger::put(const LedgerEntry& entry) {
  return guarded([&] {
    Transaction tx{db_};
    write_entry(db_, entry, {}, 0);
    tx.commit();
  });
}

Status SqliteLedger::remove(std::string_view tracker, std::string_view fingerprint) {
  return guarded([&] {
    auto s = db_.prepare("DELETE FROM ledger WHERE tracker = ?1 AND fingerprint = ?2");
    s.bind(1, tracker).bind(2, fingerprint);
    s.run();
  });
}

Status SqliteLedger::list(std::string_view tracker, std::vector<LedgerEntry>& out) {
  out.clear();
  return guarded([&] {
    auto s = db_.prepare(std::string{"SELECT "} + kColumns + " FROM ledger WHERE tracker = ?1 ORDER BY fingerprint");
    s.bind(1, tracker);
    while (s.step()) out.push_back(read_entry(s));
  });
}

Status SqliteLedger::cache_get(std::string_view tracker, std::string_view key, Timestamp now,
                               std::optional<std::string>& value) {
  value.reset();
  return guarded([&] {
    auto s = db_.prepare("SELECT value FROM tracker_cache WHERE tracker = ?1 AND key = ?2 AND expires_at > ?3");
    s.bind(1, tracker).bind(2, key).bind(3, now);
    if (s.step()) value = std::string{s.text(0)};
  });
}

Status SqliteLedger::cache_put(std::string_view tracker, std::string_view key, std::string_view value,
                               Timestamp expires_at) {
  return guarded([&] {
    auto s = db_.prepare("INSERT OR REPLACE INTO tracker_cache (tracker, key, value, expires_at) VALUES (?1, ?2, ?3, ?4)");
    s.bind(1, tracker).bind(2, key).bind(3, value).bind(4, expires_at);
    s.run();
  });
}

}  // namespace cspm::store
