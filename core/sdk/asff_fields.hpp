// One ASFF finding object → Finding, in a single pass over its keys (internal to the SDK).
#pragma once
#include <string>

#include <simdjson.h>

#include <cspm/finding.hpp>

namespace cspm::detail {

/// Called for keys that make an object a container of findings rather than a finding:
/// "detail" (EventBridge event) and "Findings"/"findings" (GetFindings-style documents).
class ContainerVisitor {
 public:
  virtual ~ContainerVisitor() = default;
  virtual simdjson::error_code visit(std::string_view key, simdjson::ondemand::value& value) = 0;
};

/// The key of an object member as written: a view into the input, without the copy that
/// unescaped_key() makes, unless the key holds an escape (ASFF keys never do).
simdjson::error_code member_key(simdjson::simdjson_result<simdjson::ondemand::field>& member,
                                std::string_view& key);

/// Parses finding objects with simdjson On-Demand. Keys may come in any order (Security Hub
/// does not sort them), so each object is walked once and dispatched on its keys.
class AsffFieldParser {
 public:
  /// Fills `out` (views into the parser's buffers). JSON errors come back as the error code
  /// and abort the record; a well-formed object that is not a usable finding returns SUCCESS
  /// with `problem` set (wrong type, missing required field).
  /// With a `visitor`, container keys go to it and `container` is set.
  simdjson::error_code parse(simdjson::ondemand::object object, Finding& out,
                             std::string& problem, ContainerVisitor* visitor = nullptr,
                             bool* container = nullptr);
};

}  // namespace cspm::detail
