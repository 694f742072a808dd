// Atlassian Document Format (Jira Cloud REST v3 descriptions and comments) for tickets.
#pragma once
#include <string_view>

#include <nlohmann/json.hpp>

#include <cspm/api.hpp>
#include <cspm/ticket_document.hpp>

namespace cspm {

/// The ticket as an ADF document ({"version": 1, "type": "doc", …}): the same sections as
/// the wiki and Markdown layouts, as headings and tables. Finding text goes into text nodes
/// only (literal text: no mention, link or macro can come from it), on one line, and never
/// as an empty text node (Jira rejects those); only safe http(s) URLs become link marks.
CSPM_API nlohmann::json adf_document(const TicketDocument& doc);

/// A document of one paragraph of plain text (comments).
CSPM_API nlohmann::json adf_paragraph(std::string_view text);

}  // namespace cspm
