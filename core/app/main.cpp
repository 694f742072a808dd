// cspmd: Security Hub findings in, the few tickets that matter out.
#include <iostream>
#include <string>
#include <vector>

#include <cspm/diagnostics.hpp>
#include <cspm/version.hpp>

#include "cli_support.hpp"

namespace {

constexpr const char* kUsage = R"(usage: cspmd <command> [options]

commands:
  run PIPELINE      run a pipeline once (--dry-run prints the ticket plan)
  ingest FILE…|-    load findings into the store
  query             explore stored findings (filters, counts, table/json/csv, --sql)
  validate [FILE…]  check pipeline files; every problem with file:line:col
  plugins           list stage types, their options and the library of each
  serve             the daemon: HTTP ingest, schedules, hot reload (systemd service)
  trigger PIPELINE  ask the running daemon for a run now

Run `cspmd <command> --help` for the options of a command.
Exit codes: 0 ok, 1 run failed, 2 usage, 78 configuration error.
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace cspm::app;
  if (argc < 2) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  const std::string command = argv[1];
  try {
    if (command == "run") return run_command(argc - 1, argv + 1);
    if (command == "ingest") return ingest_command(argc - 1, argv + 1);
    if (command == "query") return query_command(argc - 1, argv + 1);
    if (command == "validate") return validate_command(argc - 1, argv + 1);
    if (command == "plugins") return plugins_command(argc - 1, argv + 1);
    if (command == "serve") return serve_command(argc - 1, argv + 1);
    if (command == "trigger") return trigger_command(argc - 1, argv + 1);
    if (command == "--version" || command == "version") {
      std::cout << "cspmd " CSPM_SDK_VERSION "\n";
      return kExitOk;
    }
    if (command == "--help" || command == "-h" || command == "help") {
      std::cout << kUsage;
      return kExitOk;
    }
  } catch (const std::exception& e) {
    std::cerr << "cspmd " << command << ": " << e.what() << '\n';
    return kExitFailure;
  } catch (...) {
    std::cerr << "cspmd " << command << ": unknown exception\n";
    return kExitFailure;
  }
  std::cerr << "cspmd: unknown command \"" << command << "\". "
            << cspm::suggest(command, {"run", "ingest", "query", "validate", "plugins", "serve", "trigger"}) << "\n\n"
            << kUsage;
  return kExitUsage;
}
