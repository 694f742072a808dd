// Fitting a ticket into Jira's field limits without breaking its markup.
#include "issue_content.hpp"

#include <algorithm>
#include <set>

#include <openssl/sha.h>

#include <cspm/adf.hpp>
#include <cspm/jira_wiki.hpp>
#include <cspm/markup.hpp>
#include <cspm/ticket_document.hpp>

#include "field_templates.hpp"

namespace cspm::plugins::jira {
namespace {

using json = nlohmann::json;

json render(const TicketDocument& doc, Flavor flavor) {
  return flavor == Flavor::cloud ? adf_document(doc) : json(jira_wiki_document(doc));
}

// Characters as Jira counts them, bounded above by bytes (what we measure).
std::size_t size_of(const json& description) {
  return description.is_string() ? description.get_ref<const std::string&>().size() : description.dump().size();
}

void cut_texts(TicketDocument& doc, std::size_t max_bytes) {
  const auto cut = [&](std::string& s) {
    if (s.size() > max_bytes) s = std::string{truncate_utf8(s, max_bytes)} + "…";
  };
  for (auto& issue : doc.issues) {
    cut(issue.title);
    cut(issue.description);
    cut(issue.remediation_text);
  }
  for (auto& [label, value] : doc.overview) cut(value);
  for (auto& r : doc.resources) cut(r.id);
}

}  // namespace

json fitted_description(const Ticket& ticket, Flavor flavor, std::size_t limit) {
  TicketDocument doc = ticket.document ? *ticket.document : make_ticket_document(*ticket.group);
  json out = render(doc, flavor);
  std::size_t listed = doc.resources.size();
  while (size_of(out) > limit && listed > 0) {
    listed /= 2;
    TicketDocument shorter = make_ticket_document(*ticket.group, listed);
    shorter.intro = doc.intro;
    shorter.footer = doc.footer;
    out = render(shorter, flavor);
    if (size_of(out) <= limit || listed == 0) doc = std::move(shorter);
  }
  for (std::size_t max_text : {2000u, 300u, 60u}) {
    if (size_of(out) <= limit) break;
    cut_texts(doc, max_text);
    out = render(doc, flavor);
  }
  while (size_of(out) > limit && !doc.issues.empty()) {  // very many controls in one group
    doc.issues.pop_back();
    out = render(doc, flavor);
  }
  return out;
}

std::vector<std::string> jira_labels(const Ticket& ticket, const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  const auto add = [&](std::string label) {
    std::replace_if(label.begin(), label.end(), [](unsigned char c) { return c <= ' '; }, '_');
    label = std::string{truncate_utf8(label, 255)};
    if (!label.empty() && seen.insert(label).second) out.push_back(std::move(label));
  };
  for (const auto& l : ticket.labels) add(l);
  for (const auto& l : extra) add(l);
  return out;
}

std::string marker_of(const Ticket& ticket) { return "cspm-fp-" + ticket.fingerprint; }

json create_fields(const Ticket& ticket, const ContentOptions& options, Flavor flavor, const json& description,
                   const std::string& assignee, const std::vector<std::string>& extra_labels, const json& custom) {
  std::vector<std::string> labels = options.labels;
  labels.insert(labels.end(), extra_labels.begin(), extra_labels.end());
  std::vector<std::string> all = jira_labels(ticket, labels);
  if (!options.marker_field.empty()) std::erase(all, marker_of(ticket));  // the field carries it
  // The owners file may route an account to its own project and component.
  const std::string_view project = attribute(*ticket.group, "project");
  json fields = custom.is_object() ? custom : json::object();
  fields.update(json{{"project", {{"key", project.empty() ? options.project : std::string{project}}}},
                     {"issuetype", {{"name", options.issue_type}}},
                     {"summary", ticket.summary},
                     {"description", description},
                     {"labels", all}});
  if (!options.marker_field.empty()) fields[options.marker_field] = marker_of(ticket);
  const GroupFacts facts = facts_of(*ticket.group);
  if (auto p = options.priorities.find(facts.severity); p != options.priorities.end() && !p->second.empty())
    fields["priority"] = {{"name", p->second}};
  std::vector<std::string> components = options.components;
  if (const auto c = attribute(*ticket.group, "component"); !c.empty()) components.emplace_back(c);
  if (!components.empty()) {
    fields["components"] = json::array();
    for (const auto& c : components) fields["components"].push_back({{"name", c}});
  }
  if (!assignee.empty())
    fields["assignee"] = flavor == Flavor::cloud ? json{{"accountId", assignee}} : json{{"name", assignee}};
  return fields;
}

std::string content_hash(const Ticket& ticket, Flavor flavor, std::size_t limit, const json& custom) {
  Ticket stable = ticket;
  auto doc = std::make_shared<TicketDocument>(ticket.document ? *ticket.document : make_ticket_document(*ticket.group));
  std::erase_if(doc->overview, [](const auto& row) { return row.first == "First observed" || row.first == "Last observed"; });
  stable.document = doc;
  const json description = fitted_description(stable, flavor, limit);
  std::string text = ticket.summary + '\n' + (description.is_string() ? description.get<std::string>() : description.dump());
  // Only when there are any: hashes of tickets without custom fields stay as they were.
  if (custom.is_object() && !custom.empty()) text += '\n' + custom.dump();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (const unsigned char b : digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

IssueContent issue_content(const Ticket& ticket, const ContentOptions& options, Flavor flavor, std::string_view pipeline) {
  IssueContent c;
  c.description = fitted_description(ticket, flavor, options.description_limit);
  c.fields = expand_fields(options.fields, ticket, pipeline);
  c.hash = content_hash(ticket, flavor, options.description_limit, expand_fields(options.fields, ticket, pipeline, true));
  return c;
}

}  // namespace cspm::plugins::jira
