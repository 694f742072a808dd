// Key functions of the SDK interfaces: their vtables and typeinfo live in libcspm_sdk.so.
#include <cspm/asff_reader.hpp>
#include <cspm/context.hpp>
#include <cspm/factory.hpp>
#include <cspm/finding_store.hpp>
#include <cspm/ticket_ledger.hpp>
#include <cspm/registrar.hpp>
#include <cspm/stage.hpp>

namespace cspm {

Stage::~Stage() = default;
Source::~Source() = default;
Transform::~Transform() = default;
Sink::~Sink() = default;
Factory::~Factory() = default;
Registrar::~Registrar() = default;
RunContext::~RunContext() = default;
FindingHandler::~FindingHandler() = default;
FindingStore::~FindingStore() = default;
TicketLedger::~TicketLedger() = default;

}  // namespace cspm
