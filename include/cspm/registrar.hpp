// How a plugin library hands its factories to cspmd, and the macro that exports it.
#pragma once
#include <memory>

#include <boost/dll/alias.hpp>

#include <cspm/abi.hpp>
#include <cspm/api.hpp>
#include <cspm/factory.hpp>

namespace cspm {

/// Implemented by the host. A duplicate type within a kind is reported at load time.
class CSPM_API Registrar {
 public:
  virtual ~Registrar();
  virtual void add(std::unique_ptr<Factory> factory) = 0;
};

using RegisterFn = void(Registrar&);

}  // namespace cspm

/// Exactly one per plugin library: exports the ABI record and the registration function
/// under stable names (cspm_abi_v1, cspm_register_v1) that cspmd looks up with Boost.DLL.
#define CSPM_PLUGIN(LIBRARY, VERSION, REGISTER_FN)                                          \
  namespace cspm_plugin_export {                                                            \
  extern const ::cspm::AbiInfo abi_info;                                                    \
  const ::cspm::AbiInfo abi_info{::cspm::kAbiVersion, CSPM_BUILD_FINGERPRINT, LIBRARY,      \
                                 VERSION};                                                  \
  void register_all(::cspm::Registrar& registrar) { REGISTER_FN(registrar); }               \
  BOOST_DLL_ALIAS(cspm_plugin_export::abi_info, cspm_abi_v1)                                \
  BOOST_DLL_ALIAS(cspm_plugin_export::register_all, cspm_register_v1)                       \
  }
