// Boilerplate-free factories: name, kind, schema and ports given once in the constructor.
#pragma once
#include <string>
#include <utility>

#include <cspm/factory.hpp>

namespace cspm {

/// Derive, pass the description to the constructor, implement create() (and validate()
/// when options depend on each other).
template <StageKind Kind>
class FactoryBase : public Factory {
 public:
  FactoryBase(std::string type, std::string description, OptionSchema schema, Ports ports)
      : type_(std::move(type)),
        description_(std::move(description)),
        schema_(std::move(schema)),
        ports_(ports) {}

  StageKind kind() const noexcept final { return Kind; }
  std::string_view type() const noexcept final { return type_; }
  std::string_view description() const noexcept final { return description_; }
  const OptionSchema& schema() const noexcept final { return schema_; }
  Ports ports() const noexcept final { return ports_; }

 private:
  std::string type_;
  std::string description_;
  OptionSchema schema_;
  Ports ports_;
};

}  // namespace cspm
