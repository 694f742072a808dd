// Ticket fingerprints: SHA-256 over a canonical, order-independent key text.
#include <cspm/fingerprint.hpp>

#include <algorithm>

#include <openssl/evp.h>

namespace cspm {

std::string fingerprint(std::string_view pipeline_id, std::string_view grouping, int version,
                        std::vector<std::pair<std::string, std::string>> key) {
  std::sort(key.begin(), key.end());
  // Length-prefixed fields: no value can imitate a separator and collide with another key.
  std::string canonical = "cspm-fp/1";
  const auto add = [&](std::string_view name, std::string_view value) {
    canonical += '|';
    canonical += name;
    canonical += '=';
    canonical += std::to_string(value.size());
    canonical += ':';
    canonical += value;
  };
  add("pipeline", pipeline_id);
  add("grouping", grouping);
  add("version", std::to_string(version));
  for (const auto& [name, value] : key) add(name, value);

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(canonical.data(), canonical.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < 16 && i < size; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

}  // namespace cspm
