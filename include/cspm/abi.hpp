// Version and build-compatibility contract between cspmd and plugin libraries.
#pragma once
#include <cstdint>

#include <boost/config.hpp>
#include <boost/version.hpp>
#include <nlohmann/json.hpp>

#include <cspm/version.hpp>

namespace cspm {

/// Bumped on ANY change to a header under include/cspm/. cspmd requires an exact match.
inline constexpr std::uint32_t kAbiVersion = 4;

/// Plain C-layout record, readable even from a mismatched plugin (only integers and C strings).
struct AbiInfo {
  std::uint32_t abi_version;  ///< kAbiVersion the plugin was compiled against
  const char* fingerprint;    ///< CSPM_BUILD_FINGERPRINT of the plugin's build
  const char* library;        ///< short library name, e.g. "plan"
  const char* version;        ///< plugin release, shown by `cspmd plugins`
};

}  // namespace cspm

#define CSPM_STR2(x) #x
#define CSPM_STR(x) CSPM_STR2(x)

/// Everything that changes the meaning of SDK types across a .so boundary: we exchange
/// std::string, std::vector and nlohmann::json, so compiler, library ABI and json version count.
#define CSPM_BUILD_FINGERPRINT                                                                \
  BOOST_COMPILER "|cxx=" CSPM_STR(__cplusplus) "|glibcxx_abi=" CSPM_STR(_GLIBCXX_USE_CXX11_ABI) \
                 "|boost=" BOOST_LIB_VERSION "|json=" CSPM_STR(NLOHMANN_JSON_NAMESPACE)         \
                 "|sdk=" CSPM_SDK_VERSION
