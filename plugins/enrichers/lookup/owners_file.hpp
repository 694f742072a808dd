// The owners file: AWS account → account name, owner and where its tickets go.
#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <variant>

#include <cspm/diagnostics.hpp>

namespace cspm::plugins::lookup {

struct Owner {
  std::string name;       ///< account name, overrides ASFF AwsAccountName
  std::string owner;      ///< person or team responsible (email, Jira accountId or user name)
  std::string assignee;   ///< tracker user to assign; default: owner
  std::string project;    ///< tracker project for this account's tickets (optional)
  std::string component;  ///< tracker component (optional)
};

using OwnersTable = std::map<std::string, Owner, std::less<>>;

/// Reads
///   [accounts."111122223333"]
///   name = "payments-prod"
///   owner = "alice@example.com"
/// Every problem is returned with file:line:col.
std::variant<OwnersTable, Diagnostics> load_owners(const std::filesystem::path& file);

}  // namespace cspm::plugins::lookup
