// A group of findings that becomes one ticket, and the aggregates renderers need.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <cspm/finding.hpp>

namespace cspm {

/// Findings that share a grouping key. Members point into the run's finding storage.
struct Group {
  std::string grouping;  ///< strategy name: "account", "resource", …
  std::vector<std::pair<std::string, std::string>> key;  ///< (field, value), in key order
  std::string fingerprint;                               ///< see fingerprint.hpp
  std::vector<const Finding*> members;                   ///< sorted by (product_arn, id)
  std::map<std::string, std::string> attributes;         ///< set by enrichers: account_name, assignee…
};

using GroupPtr = std::shared_ptr<const Group>;

/// The value of key field `field`, or empty.
std::string_view key_value(const Group& group, std::string_view field) noexcept;

/// The value of attribute `name`, or empty.
std::string_view attribute(const Group& group, std::string_view name) noexcept;

/// Aggregates over a group's members, computed once for rendering and planning.
struct GroupFacts {
  std::string account_id;                 ///< the key's, else the first member's
  std::string account_name;               ///< attribute, else ASFF AwsAccountName
  std::string severity;                   ///< highest member severity
  std::vector<std::string> control_ids;   ///< sorted, distinct
  std::vector<std::string> regions;       ///< sorted, distinct
  std::vector<std::string> resource_ids;  ///< sorted, distinct (all resources of all members)
  std::vector<std::string> resource_types;
  std::vector<std::string> types;         ///< alert types (Types[0])
  std::vector<std::string> compliance;    ///< compliance statuses seen
  Timestamp first_observed = 0;
  Timestamp last_observed = 0;
};

GroupFacts facts_of(const Group& group);

}  // namespace cspm
