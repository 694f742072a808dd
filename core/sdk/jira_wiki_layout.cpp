// Jira wiki layout of a ticket: tables and links, every piece of finding text escaped.
#include <cspm/jira_wiki.hpp>

#include <sstream>

#include <cspm/markup.hpp>

namespace cspm {
namespace {

std::string cell(std::string_view text) {
  const std::string escaped = escape_jira_wiki(text);
  return escaped.empty() ? " " : escaped;  // an empty cell would merge with its neighbour
}

std::string link(const std::string& url, const char* label) {
  if (url.empty()) return " ";
  if (!is_safe_url(url)) return cell(url);  // shown, never clickable
  return std::string{"["} + label + "|" + url + "]";
}

}  // namespace

std::string jira_wiki_document(const TicketDocument& doc) {
  std::ostringstream out;
  out << escape_jira_wiki(doc.intro) << "\n\n";
  out << "h3. Overview\n||Field||Value||\n";
  for (const auto& [label, value] : doc.overview) out << '|' << cell(label) << '|' << cell(value) << "|\n";
  out << "\nh3. Vulnerabilities\n";
  out << "||Control||Severity||Compliance||Title||Description||Remediation||Findings||\n";
  for (const auto& i : doc.issues) {
    std::string remediation = cell(i.remediation_text);
    if (!i.remediation_url.empty()) remediation += " " + link(i.remediation_url, "Remediation guide");
    out << '|' << cell(i.control_id) << '|' << cell(i.severity) << '|' << cell(i.compliance_status)
        << '|' << cell(i.title) << '|' << cell(i.description) << '|' << remediation << '|'
        << i.findings << "|\n";
  }
  out << "\nh3. Affected resources\n||Resource type||Resource id||Region||\n";
  for (const auto& r : doc.resources)
    out << '|' << cell(r.type) << '|' << cell(r.id) << '|' << cell(r.region) << "|\n";
  if (doc.more_resources) out << "\n+ " << doc.more_resources << " more resources\n";
  if (!doc.links.empty()) {
    out << "\nh3. Links\n";
    for (const auto& l : doc.links) out << "* " << link(l, "Finding") << '\n';
  }
  out << "\n----\n" << escape_jira_wiki(doc.footer) << '\n';
  return out.str();
}

}  // namespace cspm
