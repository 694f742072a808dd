// TicketLedger on the store's SQLite database: the ledger and tracker_cache tables.
#pragma once
#include <cspm/ticket_ledger.hpp>

#include "sqlite.hpp"

namespace cspm::store {

/// Each call is one transaction; SQLite errors come back as failed Status, never thrown,
/// because the caller is a plugin.
class SqliteLedger final : public TicketLedger {
 public:
  /// Claims are made as "<host> <pid namespace> <pid> <random>", so that a claim left by a
  /// process of this host that died can be taken over at once rather than when its lease ends.
  explicit SqliteLedger(Database& db);

  Status get(std::string_view tracker, std::string_view fingerprint, std::optional<LedgerEntry>& out) override;
  Status claim(LedgerEntry& entry, Timestamp now, Timestamp lease_until, ClaimResult& result) override;
  Status put(LedgerEntry& entry) override;
  Status remove(std::string_view tracker, std::string_view fingerprint) override;
  Status list(std::string_view tracker, std::vector<LedgerEntry>& out) override;
  Status cache_get(std::string_view tracker, std::string_view key, Timestamp now,
                   std::optional<std::string>& value) override;
  Status cache_put(std::string_view tracker, std::string_view key, std::string_view value,
                   Timestamp expires_at) override;

 private:
  bool stale(std::string_view holder) const;

  Database& db_;
  std::string host_;
  std::string pid_namespace_;
  std::string owner_;
};

}  // namespace cspm::store
