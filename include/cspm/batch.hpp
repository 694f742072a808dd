// The data that flows along pipeline edges, and the data types that label edges.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <cspm/finding.hpp>
#include <cspm/group.hpp>
#include <cspm/ticket.hpp>

namespace cspm {

/// Edge data types, combinable as bit flags.
enum DataType : std::uint8_t {
  kFindings = 1,
  kGroups = 2,
  kTickets = 4,
  kMetrics = 8,
  kAnyData = kFindings | kGroups | kTickets | kMetrics,
};
using DataTypes = std::uint8_t;

/// "finding|group" style text for messages.
std::string data_types_name(DataTypes types);

/// A named number produced by an observer such as `count`.
struct Metric {
  std::string name;   ///< producing stage id
  std::string what;   ///< "findings", "groups", …
  double value = 0;
};

/// One edge's payload. Copies are cheap: findings are pointers, groups and tickets shared.
struct Batch {
  std::vector<const Finding*> findings;
  std::vector<GroupPtr> groups;
  std::vector<TicketPtr> tickets;
  std::vector<Metric> metrics;

  std::size_t size() const noexcept {
    return findings.size() + groups.size() + tickets.size() + metrics.size();
  }
  void append(const Batch& other);
};

}  // namespace cspm
