// The ledger: which tracker issue stands for each ticket fingerprint, kept in cspmd's store.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <cspm/api.hpp>
#include <cspm/status.hpp>
#include <cspm/time.hpp>

namespace cspm {

/// One fingerprint's ticket. Times are wall-clock UTC milliseconds except `last_planned`,
/// which is the run's "now" (runs may be replayed with --now).
struct LedgerEntry {
  std::string tracker;      ///< the sink's tracker identity (e.g. "jira https://x")
  std::string fingerprint;
  std::string pipeline;     ///< the pipeline whose groups the ticket stands for
  /// "creating": the intent is written, the issue may or may not exist (key unknown);
  /// "open" / "closed": the issue is known, with its status category when last seen;
  /// "resolved": still open in the tracker, but its findings were resolved (commented).
  std::string state;
  std::string issue_key;    ///< empty while creating
  std::string issue_id;
  std::string attempt;      ///< token of the create in flight
  std::string content_hash; ///< of the summary and description last sent
  std::string previous_key; ///< the closed issue this one replaced
  std::string resolution;   ///< when closed
  Timestamp created_at = 0;
  Timestamp updated_at = 0;
  Timestamp closed_at = 0;
  Timestamp last_planned = 0;  ///< run time the group was last planned (for resolve grace)
  std::uint32_t reopened = 0;
  /// Bumped by the ledger on every write; 0 for an entry never written. A claim succeeds
  /// only on the revision the caller read, so a writer never acts on a stale copy.
  std::uint64_t revision = 0;
};

/// The outcome of TicketLedger::claim().
enum class ClaimResult {
  taken,    ///< the caller holds the fingerprint; its entry is written
  held,     ///< another writer holds a live claim: try in a later run
  changed,  ///< the entry changed since the caller read it: read it again
};

/// Implemented by the host on its store; every call is one committed transaction. Writers
/// in other processes (a manual run beside the daemon's) are serialized per fingerprint by
/// claim(): a claim is a lease that a crashed writer cannot hold forever (the host also
/// frees claims of processes on this machine that no longer run), taken only on the
/// revision the writer read.
class CSPM_API TicketLedger {
 public:
  virtual ~TicketLedger();
  virtual Status get(std::string_view tracker, std::string_view fingerprint,
                     std::optional<LedgerEntry>& out) = 0;
  /// Takes the fingerprint until `lease_until` (wall ms) and writes `entry` (the intent) in
  /// the same transaction, if the stored revision is still `entry.revision` (0: no entry)
  /// and no other writer holds a live claim. The holder may claim again to renew, whatever
  /// the revision. On success `entry.revision` is the new one; otherwise nothing is written.
  virtual Status claim(LedgerEntry& entry, Timestamp now, Timestamp lease_until, ClaimResult& result) = 0;
  /// Writes the entry and releases the claim. Fails, writing nothing, when another writer
  /// has taken the fingerprint over (this one's lease ran out) or it changed unclaimed.
  virtual Status put(LedgerEntry& entry) = 0;
  /// Forgets an entry (an intent whose create certainly made nothing); only while claimed
  /// by this ledger, else nothing happens.
  virtual Status remove(std::string_view tracker, std::string_view fingerprint) = 0;
  /// Every entry of a tracker, by fingerprint.
  virtual Status list(std::string_view tracker, std::vector<LedgerEntry>& out) = 0;
  /// A small persistent cache for tracker lookups (e.g. e-mail → Jira accountId).
  virtual Status cache_get(std::string_view tracker, std::string_view key, Timestamp now,
                           std::optional<std::string>& value) = 0;
  virtual Status cache_put(std::string_view tracker, std::string_view key, std::string_view value,
                           Timestamp expires_at) = 0;
};

}  // namespace cspm
