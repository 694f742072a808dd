// The ticket lifecycle, decided by Jira's status category (new/indeterminate/done), never
// by status names, which are per workflow and localized.
#include "ticket_sync.hpp"

#include <algorithm>
#include <random>

#include <cspm/group.hpp>

namespace cspm::plugins::jira {
namespace {

using json = nlohmann::json;

std::string random_token() {
  std::random_device rd;
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) out += hex[rd() & 15];
  return out;
}

// Jira writes offsets without a colon ("2026-11-20T10:00:00.000+0000").
Timestamp jira_time(std::string text) {
  if (text.size() > 5) {
    const std::size_t at = text.size() - 5;
    if ((text[at] == '+' || text[at] == '-') && text.find(':', at) == std::string::npos) text.insert(at + 3, ":");
  }
  return parse_timestamp(text).value_or(0);
}

bool within(Timestamp since, Timestamp now, std::chrono::milliseconds window) {
  return since > 0 && now - since <= window.count();
}

std::string update_comment(const Ticket& ticket) {
  const GroupFacts f = facts_of(*ticket.group);
  return "cspm-notify updated this ticket: " + std::to_string(ticket.group->members.size()) +
         " failing findings, highest severity " + f.severity + ", " + std::to_string(f.resource_ids.size()) +
         " resources (last observed " + format_timestamp(f.last_observed) + ").";
}

json edit_fields(const Ticket& ticket, const IssueContent& content) {
  json fields = content.fields;
  fields["summary"] = ticket.summary;
  fields["description"] = content.description;
  return fields;
}

}  // namespace

const char* action_name(Action action) noexcept {
  switch (action) {
    case Action::create: return "create";
    case Action::update: return "update";
    case Action::reopen: return "reopen";
    case Action::resolve: return "resolve";
    case Action::none: return "none";
    case Action::deferred: return "deferred";
    case Action::busy: return "busy";
    case Action::capped: return "capped";
    case Action::failed: return "failed";
    case Action::changed: return "changed";
  }
  return "none";
}

bool due_for_resolve(const LedgerEntry& entry, std::string_view pipeline, Timestamp now, const SyncPolicy& policy) {
  return policy.resolve_after.count() > 0 && entry.state == "open" && entry.pipeline == pipeline &&
         entry.last_planned > 0 && now - entry.last_planned >= policy.resolve_after.count();
}

Action planned_action(const std::optional<LedgerEntry>& entry, const std::string& hash, const SyncPolicy& policy,
                      Timestamp wall_now) {
  if (!entry || entry->state == "creating") return Action::create;
  if (entry->state == "closed") {
    if (policy.wont_fix.count(entry->resolution)) return Action::none;
    return within(entry->closed_at, wall_now, policy.reopen_window) ? Action::reopen : Action::create;
  }
  return entry->content_hash == hash ? Action::none : Action::update;  // open or resolved
}

TicketSync::TicketSync(JiraApi& api, TicketLedger& ledger, RunContext& ctx, const SyncPolicy& policy,
                       std::string tracker)
    : api_(api), ledger_(ledger), ctx_(ctx), policy_(policy), tracker_(std::move(tracker)) {}

Action TicketSync::fail(const Status& status, LedgerEntry* release) {
  // One cause (a field not on the screen, Jira down) fails many tickets alike: say it once.
  if (++failures_[status.message()] == 1) ctx_.log(LogLevel::error, status.message());
  if (release) (void)ledger_.put(*release);  // keep the state, drop the claim
  return Action::failed;
}

Action TicketSync::sync(const Ticket& ticket) {
  const IssueContent content = issue_content(ticket, policy_.content, api_.flavor(), ctx_.pipeline_id());
  // Another cspmd may write the entry between our read and our claim: read again then.
  for (int round = 0; round < 3; ++round) {
    std::optional<LedgerEntry> entry;
    if (Status s = ledger_.get(tracker_, ticket.fingerprint, entry); !s) return fail(s, nullptr);
    if (!entry) {
      if (const Action a = create(ticket, content, std::nullopt); a != Action::changed) return a;
      continue;
    }
    ClaimResult claim = ClaimResult::held;
    const Timestamp now = system_now();
    if (Status s = ledger_.claim(*entry, now, now + policy_.lease.count(), claim); !s) return fail(s, nullptr);
    if (claim == ClaimResult::held) return Action::busy;
    if (claim == ClaimResult::changed) continue;
    if (entry->state == "creating") return recover(ticket, *entry, content);
    return existing(ticket, *entry, content);
  }
  return Action::busy;
}

// Renews our claim before a call that changes Jira, so that it cannot run out while the
// call waits out retries. Not kept: `busy` when another writer took the fingerprint over
// meanwhile, `failed` when the store could not be written (the claim is then released).
std::optional<Action> TicketSync::keep(LedgerEntry& entry) {
  ClaimResult claim = ClaimResult::held;
  const Timestamp now = system_now();
  if (Status s = ledger_.claim(entry, now, now + policy_.lease.count(), claim); !s) return fail(s, &entry);
  if (claim == ClaimResult::taken) return std::nullopt;
  ctx_.log(LogLevel::warning, "lost the claim on " + entry.fingerprint + "; another cspmd completes it");
  return Action::busy;
}

// Two-phase create: the intent is committed before Jira is called, the key after. A crash in
// between leaves "creating", which recover() resolves by the marker label.
Action TicketSync::create(const Ticket& ticket, const IssueContent& content,
                          std::optional<LedgerEntry> previous) {
  if (created_ >= policy_.max_new_tickets) {
    if (previous) (void)ledger_.put(*previous);
    return Action::capped;
  }
  std::vector<std::string> labels;
  std::string assignee;
  if (Status s = assignee_for(ticket, assignee, labels); !s) {
    if (previous) (void)ledger_.put(*previous);
    return fail(s, nullptr);
  }
  const Timestamp now = system_now();
  LedgerEntry intent;
  intent.tracker = tracker_;
  intent.fingerprint = ticket.fingerprint;
  intent.state = "creating";
  intent.attempt = random_token();
  intent.created_at = intent.updated_at = now;
  intent.last_planned = ctx_.now();
  intent.pipeline = std::string{ctx_.pipeline_id()};
  if (previous) {
    intent.previous_key = previous->state == "creating" ? previous->previous_key : previous->issue_key;
    intent.reopened = previous->reopened;
    intent.revision = previous->revision;  // we hold it: this claim renews
  }
  ClaimResult claim = ClaimResult::held;
  if (Status s = ledger_.claim(intent, now, now + policy_.lease.count(), claim); !s) return fail(s, nullptr);
  // Created by another cspmd meanwhile: sync() reads it again. (With `previous` we held the
  // claim; losing it means another writer took over, which is "busy", not "changed".)
  if (claim == ClaimResult::changed) return previous ? Action::busy : Action::changed;
  if (claim == ClaimResult::held) return Action::busy;

  JiraIssue issue;
  bool unknown = false;
  CallError error;
  const Status s = api_.create(create_fields(ticket, policy_.content, api_.flavor(), content.description, assignee, labels, content.fields),
                               issue, unknown, error);
  if (!s) {
    if (unknown) {
      intent.updated_at = system_now();  // Jira's search may lag from here on
      return fail(Status::failure(s.message() + " (the issue may exist: the next run looks for it)"), &intent);
    }
    // Jira refused: nothing was created. Put back what was there before the intent.
    if (previous) (void)ledger_.put(*previous);
    else (void)ledger_.remove(tracker_, ticket.fingerprint);
    if (error.client_error && !api_.halted()) {  // a 401 halts the run and is said there
      rejections_.insert(s.message());
      return Action::failed;
    }
    return fail(s, nullptr);
  }
  LedgerEntry entry = intent;
  entry.state = "open";
  entry.issue_key = issue.key;
  entry.issue_id = issue.id;
  entry.content_hash = content.hash;
  entry.updated_at = system_now();
  if (Status p = ledger_.put(entry); !p)
    return fail(Status::failure(p.message() + " (created " + issue.key + "; the next run finds it by its label)"), nullptr);
  ++created_;
  ctx_.log(LogLevel::info, "created " + issue.key + " for " + ticket.summary);
  if (!entry.previous_key.empty())
    if (Status l = api_.link(issue.key, entry.previous_key); !l)
      ctx_.log(LogLevel::warning, "could not link " + issue.key + " to " + entry.previous_key + ": " + l.message());
  return Action::create;
}

// A create was attempted but its outcome never recorded: find the issue by its marker.
Action TicketSync::recover(const Ticket& ticket, LedgerEntry& entry, const IssueContent& content) {
  std::vector<JiraIssue> all;
  if (Status s = api_.search_marker(marker_of(ticket), policy_.content.marker_field, all); !s)
    return fail(s, &entry);
  // Closed predecessors carry the marker too: only a not-done issue can be the lost create.
  std::vector<JiraIssue> found;
  for (auto& i : all)
    if (i.status_category != "done" && i.key != entry.previous_key) found.push_back(std::move(i));
  if (found.empty()) {
    // Jira Cloud's search lags behind writes: an issue created a moment ago may not show yet.
    if (system_now() - entry.updated_at < policy_.search_settle.count()) {
      (void)ledger_.put(entry);
      ctx_.log(LogLevel::warning, "a create for " + ticket.fingerprint + " is unconfirmed; searching again in a later run");
      return Action::deferred;
    }
    LedgerEntry before = entry;
    return create(ticket, content, before);
  }
  if (found.size() > 1) {
    std::string keys;
    for (const auto& i : found) keys += (keys.empty() ? "" : ", ") + i.key;
    ctx_.log(LogLevel::error, "several issues carry the marker of " + ticket.fingerprint + ": " + keys +
                                  "; keeping the oldest, " + found.front().key);
    ctx_.count("jira_duplicates_found", found.size() - 1);
  }
  entry.state = "open";
  entry.issue_key = found.front().key;
  entry.issue_id = found.front().id;
  entry.content_hash.clear();  // unknown what it says: compare afresh
  ctx_.log(LogLevel::info, "recovered " + entry.issue_key + " for " + ticket.fingerprint);
  ctx_.count("jira_recovered", 1);
  return existing(ticket, entry, content);
}

Action TicketSync::existing(const Ticket& ticket, LedgerEntry& entry, const IssueContent& content) {
  JiraIssue issue;
  bool missing = false;
  if (Status s = api_.get(entry.issue_key, issue, missing); !s) {
    if (!missing) return fail(s, &entry);
    // Deleted, or out of our sight. Another issue may carry the marker (a person cloned it,
    // or a lost create of ours): take that one rather than file a third.
    std::vector<JiraIssue> all;
    if (Status f = api_.search_marker(marker_of(ticket), policy_.content.marker_field, all); !f) return fail(f, &entry);
    const auto other = std::find_if(all.begin(), all.end(), [&](const JiraIssue& i) {
      return i.status_category != "done" && i.key != entry.issue_key;
    });
    if (other != all.end()) {
      ctx_.log(LogLevel::warning, entry.issue_key + " is gone from Jira; " + other->key + " carries its marker and takes its place");
      entry.issue_key = other->key;
      entry.issue_id = other->id;
      entry.content_hash.clear();
      issue = *other;
    } else {
      ctx_.log(LogLevel::warning, entry.issue_key + " is gone from Jira (deleted, or no longer visible); filing a new ticket");
      LedgerEntry before = entry;
      before.issue_key.clear();
      before.state = "closed";
      return create(ticket, content, before);
    }
  } else if (!issue.key.empty() && issue.key != entry.issue_key) {
    // Moved to another project: Jira answers to the old key with the new one.
    ctx_.log(LogLevel::info, entry.issue_key + " was moved to " + issue.key);
    entry.issue_key = issue.key;
    entry.issue_id = issue.id;
  }
  entry.last_planned = ctx_.now();
  entry.pipeline = std::string{ctx_.pipeline_id()};
  if (issue.status_category == "done") {
    if (entry.state != "closed") {
      entry.state = "closed";
      entry.closed_at = issue.resolution_date.empty() ? system_now() : jira_time(issue.resolution_date);
    }
    entry.resolution = issue.resolution;
    if (policy_.wont_fix.count(issue.resolution)) {
      (void)ledger_.put(entry);
      return Action::none;
    }
    if (within(entry.closed_at, system_now(), policy_.reopen_window)) return reopen(ticket, entry, content);
    LedgerEntry before = entry;
    return create(ticket, content, before);
  }
  entry.state = "open";
  if (entry.content_hash == content.hash) {
    (void)ledger_.put(entry);
    return Action::none;
  }
  if (auto lost = keep(entry)) return *lost;
  if (Status s = api_.edit(entry.issue_key, edit_fields(ticket, content)); !s)
    return fail(s, &entry);
  if (policy_.comment_on_update && !entry.content_hash.empty()) {
    if (auto lost = keep(entry)) return *lost;
    if (Status s = api_.comment(entry.issue_key, update_comment(ticket)); !s) return fail(s, &entry);
  }
  entry.content_hash = content.hash;
  entry.updated_at = system_now();
  if (Status s = ledger_.put(entry); !s) return fail(s, nullptr);
  return Action::update;
}

// Back to a not-done category by a discovered transition (prefer "To Do"-like "new").
Action TicketSync::reopen(const Ticket& ticket, LedgerEntry& entry, const IssueContent& content) {
  std::vector<JiraTransition> transitions;
  if (Status s = api_.transitions(entry.issue_key, transitions); !s) return fail(s, &entry);
  const JiraTransition* pick = nullptr;
  for (const auto& t : transitions)
    if (t.to_category == "new" || (t.to_category == "indeterminate" && !pick)) pick = &t;
  if (!pick) {
    ctx_.log(LogLevel::warning, "no transition reopens " + entry.issue_key + "; filing a new ticket linked to it");
    LedgerEntry before = entry;
    return create(ticket, content, before);
  }
  if (auto lost = keep(entry)) return *lost;
  if (Status s = api_.transition(entry.issue_key, pick->id); !s) return fail(s, &entry);
  entry.state = "open";
  entry.closed_at = 0;
  entry.resolution.clear();
  ++entry.reopened;
  if (auto lost = keep(entry)) return *lost;
  if (Status s = api_.comment(entry.issue_key, "cspm-notify reopened this ticket: the findings are failing again."); !s)
    return fail(s, &entry);
  if (entry.content_hash != content.hash) {
    if (auto lost = keep(entry)) return *lost;
    if (Status s = api_.edit(entry.issue_key, edit_fields(ticket, content)); !s)
      return fail(s, &entry);
    entry.content_hash = content.hash;
  }
  entry.updated_at = system_now();
  if (Status s = ledger_.put(entry); !s) return fail(s, nullptr);
  return Action::reopen;
}

std::uint64_t TicketSync::resolve_absent(const std::set<std::string>& planned, std::uint64_t& failed) {
  failed = 0;
  if (policy_.resolve_after.count() <= 0) return 0;
  std::vector<LedgerEntry> entries;
  if (Status s = ledger_.list(tracker_, entries); !s) {
    ctx_.log(LogLevel::error, s.message());
    ++failed;
    return 0;
  }
  std::uint64_t resolved = 0;
  for (LedgerEntry& entry : entries) {
    if (api_.halted()) break;  // the rest wait for the next run
    if (planned.count(entry.fingerprint) || !due_for_resolve(entry, ctx_.pipeline_id(), ctx_.now(), policy_)) continue;
    const Timestamp now = system_now();
    ClaimResult claim = ClaimResult::held;
    if (Status s = ledger_.claim(entry, now, now + policy_.lease.count(), claim); !s) {
      fail(s, nullptr);
      ++failed;
      continue;
    }
    if (claim != ClaimResult::taken) continue;  // another cspmd has it
    const Action a = resolve_one(entry);
    if (a == Action::resolve) ++resolved;
    if (a == Action::failed) ++failed;
  }
  return resolved;
}

// Comments on one claimed ticket whose findings are resolved, then optionally moves it to done.
Action TicketSync::resolve_one(LedgerEntry& entry) {
  const Timestamp now = system_now();
  JiraIssue issue;
  bool missing = false;
  if (Status s = api_.get(entry.issue_key, issue, missing); !s) {
    if (!missing) return fail(s, &entry);
    entry.state = "closed";  // gone from Jira: nothing left to resolve
    (void)ledger_.put(entry);
    return Action::none;
  }
  if (issue.status_category == "done") {  // closed meanwhile by a person
    entry.state = "closed";
    entry.closed_at = issue.resolution_date.empty() ? now : jira_time(issue.resolution_date);
    entry.resolution = issue.resolution;
    (void)ledger_.put(entry);
    return Action::none;
  }
  if (auto lost = keep(entry)) return *lost;
  if (Status s = api_.comment(entry.issue_key, "cspm-notify: no finding of this ticket has failed since " +
                                                   format_timestamp(entry.last_planned) + "; they are resolved.");
      !s)
    return fail(s, &entry);  // still open: the next run comments (once) and goes on
  if (policy_.resolve_transition) {
    std::vector<JiraTransition> transitions;
    if (Status s = api_.transitions(entry.issue_key, transitions); !s) return fail(s, &entry);
    const auto done = std::find_if(transitions.begin(), transitions.end(),
                                   [](const JiraTransition& t) { return t.to_category == "done"; });
    if (done == transitions.end())
      return fail(Status::failure("no transition of " + entry.issue_key + " leads to a done status"), &entry);
    if (auto lost = keep(entry)) return *lost;
    if (Status s = api_.transition(entry.issue_key, done->id); !s) return fail(s, &entry);
    entry.state = "closed";
    entry.closed_at = now;
  } else {
    entry.state = "resolved";
  }
  entry.updated_at = now;
  if (Status s = ledger_.put(entry); !s) return fail(s, nullptr);
  return Action::resolve;
}

Status TicketSync::assignee_for(const Ticket& ticket, std::string& assignee, std::vector<std::string>& labels) {
  const std::string owner = ticket.assignee;
  const auto fallback = [&] {
    if (!policy_.owner_missing_label.empty()) labels.push_back(policy_.owner_missing_label);
    assignee = policy_.fallback_assignee;
    return Status::success();
  };
  const auto use = [&](const std::string& id) {
    assignee = id;
    return Status::success();
  };
  if (owner.empty()) return fallback();
  if (owner.find('@') == std::string::npos) return use(owner);  // an accountId (Cloud) or user name (DC)
  if (auto known = users_.find(owner); known != users_.end()) return known->second.empty() ? fallback() : use(known->second);
  std::optional<std::string> id;
  const std::string key = "user:" + owner;
  if (Status s = ledger_.cache_get(tracker_, key, system_now(), id); s && id) return use(users_[owner] = *id);
  if (Status s = api_.find_user(owner, id); !s) return Status::failure("cannot look up the Jira user for " + owner + ": " + s.message());
  if (!id) {
    ctx_.log(LogLevel::warning, "no Jira user for " + owner + "; using the fallback assignee");
    users_[owner] = "";
    return fallback();
  }
  (void)ledger_.cache_put(tracker_, key, *id, system_now() + 7LL * 24 * 3600 * 1000);
  return use(users_[owner] = *id);
}

}  // namespace cspm::plugins::jira
