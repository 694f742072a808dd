// What a ticket says about a group, before any markup: summary, overview, issues, resources.
#include <cspm/ticket_document.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <cspm/diagnostics.hpp>
#include <cspm/markup.hpp>
#include <cspm/severity.hpp>

namespace cspm {
namespace {

constexpr std::size_t kSummaryChars = 255;  // Jira's summary limit, in UTF-16 code units

// Cuts to `max` UTF-16 code units (Java strings: Jira counts an emoji as 2), marking the cut
// with "…" (one unit).
std::string clip_chars(const std::string& s, std::size_t max) {
  std::size_t units = 0, cut = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const std::size_t bytes = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : 4;
    const std::size_t width = bytes == 4 ? 2 : 1;  // outside the BMP: a surrogate pair
    if (units + width <= max - 1) cut = i + bytes;
    units += width;
    i += bytes;
  }
  return units <= max ? s : s.substr(0, cut) + "\xE2\x80\xA6";
}

std::string account_text(const GroupFacts& f) {
  return f.account_name.empty() ? f.account_id : f.account_id + " (" + f.account_name + ")";
}

std::string time_text(Timestamp t) { return t ? format_timestamp(t) : std::string{"-"}; }

std::string make_summary(const Group& group, const GroupFacts& f,
                         const std::vector<TicketIssue>& issues) {
  std::string s = "[" + (f.severity.empty() ? std::string{"UNKNOWN"} : f.severity) + "] ";
  const std::string account = "AWS account " + account_text(f);
  if (group.grouping == "resource") {
    const std::string resource{key_value(group, "resource_id")};
    s += std::to_string(issues.size()) + (issues.size() == 1 ? " issue on " : " issues on ") +
         (resource.empty() ? std::string{"a resource"} : resource) + " - " + account;
  } else if (issues.size() == 1) {
    const auto& i = issues.front();
    s += (i.control_id.empty() ? "" : i.control_id + " ") + i.title + " - " + account;
  } else {
    s += std::to_string(issues.size()) + " Security Hub issues - " + account;
  }
  return clip_chars(single_line(s), kSummaryChars);
}

}  // namespace

TicketDocument make_ticket_document(const Group& group, std::size_t max_resources) {
  const GroupFacts f = facts_of(group);
  TicketDocument doc;

  // One issue per control (or per title for findings without a control, e.g. GuardDuty).
  std::map<std::string, TicketIssue> issues;
  std::set<std::string> links;
  for (const Finding* m : group.members) {
    const std::string key = m->control_id.empty() ? "title:" + std::string{m->title}
                                                  : "control:" + std::string{m->control_id};
    TicketIssue& issue = issues[key];
    if (issue.findings == 0 || severity_rank(m->severity) > severity_rank(issue.severity)) {
      issue.control_id = std::string{m->control_id};
      issue.severity = std::string{m->severity};
      issue.compliance_status = std::string{m->compliance_status};
      issue.title = std::string{m->title};
      issue.description = std::string{m->description};
      issue.remediation_text = std::string{m->remediation_text};
      issue.remediation_url = std::string{m->remediation_url};
    }
    ++issue.findings;
    if (!m->source_url.empty() && links.size() < 10) links.emplace(m->source_url);
  }
  for (auto& [key, issue] : issues) doc.issues.push_back(std::move(issue));
  std::sort(doc.issues.begin(), doc.issues.end(), [](const auto& a, const auto& b) {
    const int ra = severity_rank(a.severity), rb = severity_rank(b.severity);
    return ra != rb ? ra > rb : std::tie(a.control_id, a.title) < std::tie(b.control_id, b.title);
  });

  std::map<std::string_view, const Resource*> resources;
  for (const Finding* m : group.members)
    for (const auto& r : m->resources) resources.emplace(r.id, &r);
  for (const auto& [id, r] : resources) {
    if (doc.resources.size() == max_resources) {
      doc.more_resources = resources.size() - max_resources;
      break;
    }
    doc.resources.push_back({std::string{r->type}, std::string{r->id},
                             std::string{r->region}});
  }

  doc.summary = make_summary(group, f, doc.issues);
  const auto row = [&](std::string label, std::string value) {
    doc.overview.emplace_back(std::move(label), std::move(value));
  };
  row("Alert type", f.types.empty() ? "-" : join(f.types));
  row("AWS account", account_text(f));
  row(f.regions.size() == 1 ? "Region" : "Regions", f.regions.empty() ? "-" : join(f.regions));
  row(f.resource_types.size() == 1 ? "Resource type" : "Resource types",
      f.resource_types.empty() ? "-" : join(f.resource_types));
  row("Severity", f.severity);
  row("Compliance status", f.compliance.empty() ? "-" : join(f.compliance));
  row(f.control_ids.size() == 1 ? "Control" : "Controls",
      f.control_ids.empty() ? "-" : join(f.control_ids));
  row("Findings", std::to_string(group.members.size()));
  row("Resources", std::to_string(f.resource_ids.size()));
  row("First observed", time_text(f.first_observed));
  row("Last observed", time_text(f.last_observed));
  doc.links.assign(links.begin(), links.end());
  return doc;
}

Ticket make_ticket(const GroupPtr& group, const TicketDocument& doc, std::string description,
                   std::string markup, const std::vector<std::string>& labels) {
  Ticket t;
  t.fingerprint = group->fingerprint;
  t.summary = doc.summary;
  t.description = std::move(description);
  t.markup = std::move(markup);
  t.labels = labels;
  t.labels.push_back("cspm-fp-" + group->fingerprint);
  if (const auto extra = attribute(*group, "label"); !extra.empty()) t.labels.emplace_back(extra);
  t.assignee = std::string{attribute(*group, "assignee")};
  t.group = group;
  t.document = std::make_shared<const TicketDocument>(doc);
  return t;
}

}  // namespace cspm
