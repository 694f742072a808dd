// Jira wiki markup (Jira Data Center descriptions) for tickets.
#pragma once
#include <string>

#include <cspm/api.hpp>
#include <cspm/ticket_document.hpp>

namespace cspm {

/// The ticket in Jira wiki markup, with doc.intro and doc.footer: overview, vulnerabilities
/// and resources tables, links. All finding text is escaped (escape_jira_wiki); only safe
/// http(s) URLs become links.
CSPM_API std::string jira_wiki_document(const TicketDocument& doc);

}  // namespace cspm
