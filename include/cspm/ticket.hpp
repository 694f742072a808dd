// What a renderer produces and a sink files: one ticket for one group.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <cspm/group.hpp>

namespace cspm {

struct TicketDocument;

struct Ticket {
  std::string fingerprint;
  std::string summary;      ///< plain text, at most 255 characters
  std::string description;  ///< body in `markup`
  std::string markup;       ///< "jira_wiki", "markdown", …
  std::vector<std::string> labels;
  std::string assignee;     ///< empty: tracker default
  GroupPtr group;           ///< the group it came from (never null)
  /// What the description says, before layout (null for tickets made without one); sinks
  /// whose tracker wants another markup (Jira Cloud: ADF) lay this out themselves.
  std::shared_ptr<const TicketDocument> document;
};

using TicketPtr = std::shared_ptr<const Ticket>;

}  // namespace cspm
