// The content of a ticket, independent of markup: renderers only lay it out and escape it.
#pragma once
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <cspm/group.hpp>
#include <cspm/ticket.hpp>

namespace cspm {

/// One distinct problem inside a group (a control or a GuardDuty/Inspector finding type).
struct TicketIssue {
  std::string control_id;
  std::string severity;
  std::string compliance_status;
  std::string title;
  std::string description;
  std::string remediation_text;
  std::string remediation_url;
  std::size_t findings = 0;
};

struct TicketResource {
  std::string type;
  std::string id;
  std::string region;
};

/// Everything a ticket says, as plain (untrusted, unescaped) text.
struct TicketDocument {
  std::string summary;                                       ///< ≤ 255 characters, one line
  std::vector<std::pair<std::string, std::string>> overview; ///< label → value rows
  std::vector<TicketIssue> issues;                           ///< sorted by severity, control
  std::vector<TicketResource> resources;                     ///< first `max_resources`
  std::size_t more_resources = 0;                            ///< resources left out
  std::vector<std::string> links;                            ///< console / source URLs
  std::string intro;                                         ///< from the pipeline file
  std::string footer;                                        ///< from the pipeline file
};

/// Builds the document for a group; lists at most `max_resources` resources.
TicketDocument make_ticket_document(const Group& group, std::size_t max_resources = 100);

/// The ticket around a rendered body, the same for every markup: fingerprint, summary, the
/// document itself (so a sink can lay it out in its own markup),
/// assignee (group attribute "assignee"), `labels` plus "cspm-fp-<fingerprint>" and the
/// group's "label" attribute (set by enrichers, e.g. for a missing owner).
Ticket make_ticket(const GroupPtr& group, const TicketDocument& doc, std::string description,
                   std::string markup, const std::vector<std::string>& labels);

}  // namespace cspm
