// One ticket against Jira and the ledger: create (two-phase), recover, update, reopen.
#pragma once
#include <map>
#include <set>
#include <string>

#include <cspm/context.hpp>
#include <cspm/ticket.hpp>
#include <cspm/ticket_ledger.hpp>

#include "issue_content.hpp"
#include "jira_api.hpp"

namespace cspm::plugins::jira {

struct SyncPolicy {
  ContentOptions content;
  std::chrono::milliseconds reopen_window{30LL * 24 * 3600 * 1000};
  std::set<std::string> wont_fix;                    ///< resolutions that stay closed
  std::chrono::milliseconds search_settle{120000};   ///< Cloud search lag allowed for
  std::chrono::milliseconds lease{600000};           ///< one writer per fingerprint
  std::uint64_t max_new_tickets = 50;                ///< flood guard, per run
  std::string fallback_assignee;
  std::string owner_missing_label = "cspm-no-owner";
  bool comment_on_update = true;
  /// A ticket whose group has not been planned for this long counts as resolved (0: never).
  std::chrono::milliseconds resolve_after{72LL * 3600 * 1000};
  bool resolve_transition = false;  ///< also move it to a done status, not just comment
};

/// The actions, as plan records and run counters name them.
/// `changed` is internal: the ledger entry changed under us, and sync() reads it again.
enum class Action { create, update, reopen, resolve, none, deferred, busy, capped, failed, changed };
const char* action_name(Action action) noexcept;

/// True for an open ticket of `pipeline` whose group has not been planned for the policy's
/// resolve_after (as of the run's `now`).
bool due_for_resolve(const LedgerEntry& entry, std::string_view pipeline, Timestamp now, const SyncPolicy& policy);

/// What the ledger alone says would happen (dry runs: no call to Jira).
Action planned_action(const std::optional<LedgerEntry>& entry, const std::string& hash,
                      const SyncPolicy& policy, Timestamp wall_now);

/// Brings one ticket's Jira issue in line with the group, recording every step in the ledger
/// before and after each call that changes Jira.
class TicketSync {
 public:
  TicketSync(JiraApi& api, TicketLedger& ledger, RunContext& ctx, const SyncPolicy& policy,
             std::string tracker);

  Action sync(const Ticket& ticket);

  /// Open tickets of this pipeline whose groups were not planned for `resolve_after`: all
  /// their findings were resolved (or left scope). Comments once, optionally transitions
  /// to done. Returns how many were resolved; `failed` counts the ones that could not be.
  std::uint64_t resolve_absent(const std::set<std::string>& planned, std::uint64_t& failed);

  /// Distinct configuration errors Jira reported (4xx), each once, with Jira's message.
  const std::set<std::string>& rejections() const noexcept { return rejections_; }
  std::uint64_t created() const noexcept { return created_; }
  /// Each distinct failure message, and how many tickets it failed (logged once each).
  const std::map<std::string, std::uint64_t>& failures() const noexcept { return failures_; }

 private:
  Action create(const Ticket& ticket, const IssueContent& content,
                std::optional<LedgerEntry> previous);
  Action recover(const Ticket& ticket, LedgerEntry& entry, const IssueContent& content);
  Action existing(const Ticket& ticket, LedgerEntry& entry, const IssueContent& content);
  Action reopen(const Ticket& ticket, LedgerEntry& entry, const IssueContent& content);
  /// The assignee to send and the labels that say how it was chosen. Fails when Jira could
  /// not be asked (the ticket waits for the next run rather than get the wrong assignee).
  Status assignee_for(const Ticket& ticket, std::string& assignee, std::vector<std::string>& labels);
  Action fail(const Status& status, LedgerEntry* release);
  std::optional<Action> keep(LedgerEntry& entry);
  Action resolve_one(LedgerEntry& entry);

  JiraApi& api_;
  TicketLedger& ledger_;
  RunContext& ctx_;
  const SyncPolicy& policy_;
  std::string tracker_;
  std::uint64_t created_ = 0;
  std::set<std::string> rejections_;
  std::map<std::string, std::uint64_t> failures_;
  std::map<std::string, std::string> users_;  // e-mail → id, this run
};

}  // namespace cspm::plugins::jira
