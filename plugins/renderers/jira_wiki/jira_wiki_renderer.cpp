// `jira_wiki` renderer: tickets in Jira wiki markup (Jira Data Center, and Cloud via v2).
#include <memory>

#include <cspm/jira_wiki.hpp>
#include <cspm/registrar.hpp>
#include <cspm/ticket_renderer.hpp>

namespace cspm::plugins::jira_wiki {
namespace {

// The pipeline's intro and footer are already in the document (TicketRendererFactory).
std::string render(const TicketDocument& doc, const std::string&, const std::string&) {
  return jira_wiki_document(doc);
}

void register_factories(Registrar& r) {
  r.add(std::make_unique<TicketRendererFactory>(
      "jira_wiki", "jira_wiki", "Renders each group as a ticket in Jira wiki markup; finding text is escaped", &render));
}

}  // namespace
}  // namespace cspm::plugins::jira_wiki

CSPM_PLUGIN("jira_wiki", CSPM_SDK_VERSION, cspm::plugins::jira_wiki::register_factories)
