// A renderer stage type for one markup: the plugin supplies only the layout.
#pragma once
#include <string>

#include <cspm/api.hpp>
#include <cspm/factory_base.hpp>
#include <cspm/ticket_document.hpp>

namespace cspm {

/// Lays a ticket out in one markup. Must escape every piece of document text (it comes
/// from findings and is untrusted); `intro` and `footer` come from the pipeline file.
using TicketLayout = std::string (*)(const TicketDocument& doc, const std::string& intro,
                                     const std::string& footer);

/// Options: labels, max_resources, intro, footer. Each group becomes one Ticket whose
/// description is `layout(make_ticket_document(group))`.
class CSPM_API TicketRendererFactory final : public FactoryBase<StageKind::renderer> {
 public:
  TicketRendererFactory(std::string type, std::string markup, std::string description,
                        TicketLayout layout);
  Diagnostics validate(const Options& options) const override;
  CreateResult create(const Options& options, const StageEnv& env) const override;

 private:
  std::string markup_;
  TicketLayout layout_;
};

}  // namespace cspm
