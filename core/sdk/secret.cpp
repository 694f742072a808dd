// Secret resolution: environment, file, systemd credential; errors never show the value.
#include <cspm/secret.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace cspm {
namespace {

Status read_secret_file(const std::filesystem::path& path, const std::string& what, std::string& value) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::failure(what + ": cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::failure(what + ": cannot read " + path.string());
  value = std::move(text).str();
  return Status::success();
}

}  // namespace

Status resolve_secret(const nlohmann::json& reference, const std::filesystem::path& base,
                      std::string& value) {
  value.clear();
  if (!reference.is_object() || reference.size() != 1 || !reference.begin().value().is_string())
    return Status::failure("not a secret reference (expected { env | file | credential = \"…\" })");
  const std::string kind = reference.begin().key();
  const std::string name = reference.begin().value().get<std::string>();
  const std::string what = "secret { " + kind + " = \"" + name + "\" }";
  if (kind == "env") {
    const char* v = std::getenv(name.c_str());
    if (!v) return Status::failure(what + ": the variable is not set");
    value = v;
  } else if (kind == "file") {
    const std::filesystem::path path{name};
    if (Status s = read_secret_file(path.is_absolute() ? path : base / path, what, value); !s) return s;
  } else if (kind == "credential") {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (!dir || !*dir)
      return Status::failure(what + ": $CREDENTIALS_DIRECTORY is not set (LoadCredential= in the unit)");
    if (name.find('/') != std::string::npos) return Status::failure(what + ": a credential name has no '/'");
    if (Status s = read_secret_file(std::filesystem::path{dir} / name, what, value); !s) return s;
  } else {
    return Status::failure(what + ": unknown kind (use env, file or credential)");
  }
  if (!value.empty() && value.back() == '\n') value.pop_back();
  if (!value.empty() && value.back() == '\r') value.pop_back();
  if (value.empty()) return Status::failure(what + ": empty");
  return Status::success();
}

}  // namespace cspm
