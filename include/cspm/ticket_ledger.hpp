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
};

/// Implemented by the host on its store; every call is one committed transaction. Writers
/// in other processes (a manual run beside the daemon's) are serialized per fingerprint by
/// claim(): a claim is a lease that a crashed writer cannot hold forever (the host also
/// frees claims of processes on this machine that no longer run).
class CSPM_API TicketLedger {
 public:
  virtual ~TicketLedger();
  virtual Status get(std::string_view tracker, std::string_view fingerprint,
                     std::optional<LedgerEntry>& out) = 0;
  /// Takes the fingerprint for this ledger until `lease_until` (wall ms), unless another
  /// writer holds a live claim (`claimed` false, nothing written). When claimed, `entry`
  /// (the intent) is written in the same transaction. Claiming again renews.
  virtual Status claim(const LedgerEntry& entry, Timestamp now, Timestamp lease_until, bool& claimed) = 0;
  /// Writes the entry and releases any claim on it.
  virtual Status put(const LedgerEntry& entry) = 0;
  /// Forgets an entry (an intent whose create certainly made nothing).
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
