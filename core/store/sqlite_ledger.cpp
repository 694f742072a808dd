// The ledger's SQL: one row per (tracker, fingerprint), claims as leases in the same row.
#include "sqlite_ledger.hpp"

#include <cerrno>
#include <filesystem>
#include <random>
#include <sstream>

#include <signal.h>
#include <unistd.h>

namespace cspm::store {
namespace {

constexpr const char* kColumns =
    "tracker, fingerprint, state, issue_key, issue_id, attempt, content_hash, previous_key, "
    "resolution, created_at, updated_at, closed_at, last_planned, reopened, pipeline, revision";

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
  e.revision = static_cast<std::uint64_t>(s.integer(15));
  return e;
}

// The row's claim and revision, read inside the writer's transaction.
struct RowLease {
  bool exists = false;
  std::string owner;
  Timestamp until = 0;
  std::uint64_t revision = 0;
};

RowLease read_lease(Database& db, const LedgerEntry& e) {
  auto s = db.prepare("SELECT lease_owner, lease_until, revision FROM ledger WHERE tracker = ?1 AND fingerprint = ?2");
  s.bind(1, e.tracker).bind(2, e.fingerprint);
  RowLease row;
  if (!s.step()) return row;
  row.exists = true;
  if (!s.is_null(0)) row.owner = s.text(0);
  if (!s.is_null(1)) row.until = s.integer(1);
  row.revision = static_cast<std::uint64_t>(s.integer(2));
  return row;
}

// Writes every column of `e` and the lease (none when `owner` is empty), one revision on.
void write_entry(Database& db, LedgerEntry& e, std::uint64_t revision, std::string_view owner, Timestamp lease_until) {
  auto s = db.prepare(std::string{"INSERT OR REPLACE INTO ledger ("} + kColumns +
                      ", lease_owner, lease_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                      "?12, ?13, ?14, ?15, ?16, ?17, ?18)");
  s.bind(1, e.tracker).bind(2, e.fingerprint).bind(3, e.state).bind(4, e.issue_key).bind(5, e.issue_id);
  s.bind(6, e.attempt).bind(7, e.content_hash).bind(8, e.previous_key).bind(9, e.resolution);
  s.bind(10, e.created_at).bind(11, e.updated_at).bind(12, e.closed_at).bind(13, e.last_planned);
  s.bind(14, static_cast<std::int64_t>(e.reopened)).bind(15, e.pipeline);
  s.bind(16, static_cast<std::int64_t>(revision + 1));
  if (owner.empty()) s.bind_null(17), s.bind_null(18);
  else s.bind(17, owner).bind(18, lease_until);
  s.run();
  e.revision = revision + 1;
}

// The PID namespace this process runs in: PIDs mean something only within one.
std::string pid_namespace() {
  std::error_code ec;
  const auto link = std::filesystem::read_symlink("/proc/self/ns/pid", ec);
  return ec ? std::string{"?"} : link.string();
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
  pid_namespace_ = pid_namespace();
  std::random_device rd;
  owner_ = host_ + " " + pid_namespace_ + " " + std::to_string(::getpid()) + " " + std::to_string(rd()) +
           std::to_string(rd());
}

// A holder in this host's PID namespace whose process is gone: its claim protects nothing
// any more. Holders elsewhere (another container, another machine) keep theirs until it ends.
bool SqliteLedger::stale(std::string_view holder) const {
  std::istringstream in{std::string{holder}};
  std::string host, pid_ns;
  long pid = 0;
  if (!(in >> host >> pid_ns >> pid) || host != host_ || pid_ns != pid_namespace_ || pid <= 0 || pid == ::getpid())
    return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

Status SqliteLedger::claim(LedgerEntry& entry, Timestamp now, Timestamp lease_until, ClaimResult& result) {
  result = ClaimResult::held;
  return guarded([&] {
    Transaction tx{db_};  // BEGIN IMMEDIATE: claims by other processes wait for ours
    const RowLease row = read_lease(db_, entry);
    const bool ours = row.owner == owner_;
    if (!ours && !row.owner.empty() && row.until > now && !stale(row.owner)) return;
    if (!ours && row.revision != entry.revision) {
      result = ClaimResult::changed;
      return;
    }
    write_entry(db_, entry, row.revision, owner_, lease_until);
    tx.commit();
    result = ClaimResult::taken;
  });
}

Status SqliteLedger::put(LedgerEntry& entry) {
  return guarded([&] {
    Transaction tx{db_};
    const RowLease row = read_lease(db_, entry);
    if (row.owner != owner_ && (!row.owner.empty() || row.revision != entry.revision))
      throw std::runtime_error(entry.fingerprint + " was taken over by another writer (" +
                               (row.owner.empty() ? std::string{"changed since read"} : "claimed by " + row.owner) +
                               "); not overwriting it");
    write_entry(db_, entry, row.revision, {}, 0);
    tx.commit();
  });
}

Status SqliteLedger::remove(std::string_view tracker, std::string_view fingerprint) {
  return guarded([&] {
    // Only the holder may: a row it no longer holds may be another writer's finished work.
    auto s = db_.prepare("DELETE FROM ledger WHERE tracker = ?1 AND fingerprint = ?2 AND lease_owner = ?3");
    s.bind(1, tracker).bind(2, fingerprint).bind(3, owner_);
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
