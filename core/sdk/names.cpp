// Display names of SDK enums.
#include <cspm/factory.hpp>
#include <cspm/options.hpp>

namespace cspm {

std::string_view stage_kind_name(StageKind kind) noexcept {
  switch (kind) {
    case StageKind::source: return "source";
    case StageKind::filter: return "filter";
    case StageKind::grouper: return "grouper";
    case StageKind::enricher: return "enricher";
    case StageKind::renderer: return "renderer";
    case StageKind::sink: return "sink";
    case StageKind::observer: return "observer";
  }
  return "?";
}

std::string_view option_type_name(OptionType type) noexcept {
  switch (type) {
    case OptionType::string: return "string";
    case OptionType::integer: return "integer";
    case OptionType::boolean: return "boolean";
    case OptionType::duration: return "duration";
    case OptionType::string_list: return "string list";
    case OptionType::path: return "path";
    case OptionType::path_list: return "path list";
    case OptionType::table: return "table";
    case OptionType::secret: return "secret";
  }
  return "?";
}

}  // namespace cspm
