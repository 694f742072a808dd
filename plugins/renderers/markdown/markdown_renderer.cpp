// `markdown` renderer: tickets in GitHub-flavoured Markdown (GitHub, GitLab, Redmine, chat).
#include <memory>
#include <sstream>

#include <cspm/markup.hpp>
#include <cspm/registrar.hpp>
#include <cspm/ticket_renderer.hpp>

namespace cspm::plugins::markdown {
namespace {

std::string cell(std::string_view text) { return escape_markdown(text); }

std::string link(const std::string& url, const char* label) {
  if (url.empty()) return {};
  if (!is_safe_url(url)) return cell(url);  // shown, never clickable
  return std::string{"["} + label + "](<" + url + ">)";
}

std::string render(const TicketDocument& doc, const std::string& intro, const std::string& footer) {
  std::ostringstream out;
  out << escape_markdown(intro) << "\n\n";
  out << "### Overview\n\n| Field | Value |\n| --- | --- |\n";
  for (const auto& [label, value] : doc.overview) out << "| " << cell(label) << " | " << cell(value) << " |\n";
  out << "\n### Vulnerabilities\n\n";
  out << "| Control | Severity | Compliance | Title | Description | Remediation | Findings |\n";
  out << "| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const auto& i : doc.issues) {
    std::string remediation = cell(i.remediation_text);
    if (!i.remediation_url.empty()) remediation += " " + link(i.remediation_url, "Remediation guide");
    out << "| " << cell(i.control_id) << " | " << cell(i.severity) << " | " << cell(i.compliance_status)
        << " | " << cell(i.title) << " | " << cell(i.description) << " | " << remediation << " | "
        << i.findings << " |\n";
  }
  out << "\n### Affected resources\n\n| Resource type | Resource id | Region |\n| --- | --- | --- |\n";
  for (const auto& r : doc.resources)
    out << "| " << cell(r.type) << " | " << cell(r.id) << " | " << cell(r.region) << " |\n";
  if (doc.more_resources) out << "\n\\+ " << doc.more_resources << " more resources\n";
  if (!doc.links.empty()) {
    out << "\n### Links\n\n";
    for (const auto& l : doc.links) out << "- " << link(l, "Finding") << '\n';
  }
  out << "\n---\n\n" << escape_markdown(footer) << '\n';
  return out.str();
}

void register_factories(Registrar& r) {
  r.add(std::make_unique<TicketRendererFactory>(
      "markdown", "markdown", "Renders each group as a ticket in Markdown (GFM tables); finding text is escaped", &render));
}

}  // namespace
}  // namespace cspm::plugins::markdown

CSPM_PLUGIN("markdown", CSPM_SDK_VERSION, cspm::plugins::markdown::register_factories)
