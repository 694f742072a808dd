// Secret references from pipeline options ({ env | file | credential = "…" }) to their values.
#pragma once
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include <cspm/api.hpp>
#include <cspm/status.hpp>

namespace cspm {

/// Reads the secret a validated reference names:
///  - `{ env = "NAME" }`: the environment variable NAME;
///  - `{ file = "PATH" }`: the file's contents (PATH relative to `base`);
///  - `{ credential = "ID" }`: the systemd credential ID, i.e. $CREDENTIALS_DIRECTORY/ID
///    (LoadCredential= in the unit).
/// One trailing newline is dropped (files written by `echo`). An unset or empty secret is a
/// failure. Messages name the reference, never the value.
CSPM_API Status resolve_secret(const nlohmann::json& reference, const std::filesystem::path& base,
                               std::string& value);

}  // namespace cspm
