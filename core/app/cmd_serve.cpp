// `cspmd serve`: the daemon (systemd service); `cspmd trigger`: a manual run through it.
#include <iostream>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <cspm/http_client.hpp>
#include <cspm/secret.hpp>

#include "../serve/daemon.hpp"
#include "cli_support.hpp"

namespace cspm::app {
namespace {

namespace po = boost::program_options;

}  // namespace

int serve_command(int argc, char** argv) {
  po::options_description opts("cspmd serve [-c cspmd.toml] [options]");
  ConfigArgs config_args;
  opts.add_options()("help,h", "show this help");
  add_config_options(opts, config_args);
  po::variables_map vm;
  if (auto stop = parse_options(argc, argv, "serve", opts, {}, {}, vm)) return *stop;
  const auto config = resolve_config(config_args, std::cerr);
  if (!config) return kExitConfig;
  core::Logger log(std::cerr, config->serve.log_level);
  core::Daemon daemon(*config, log);
  return daemon.run();
}

int trigger_command(int argc, char** argv) {
  po::options_description opts("cspmd trigger PIPELINE [-c cspmd.toml] [--url URL]");
  std::string pipeline, url, ca_file;
  ConfigArgs config_args;
  opts.add_options()
      ("help,h", "show this help")
      ("url", po::value(&url), "the daemon (default: <[serve] listen>, https if it has TLS)")
      ("ca-file", po::value(&ca_file), "PEM file of CAs to trust for the daemon's certificate (a private CA)");
  add_config_options(opts, config_args);
  po::options_description hidden;
  hidden.add_options()("pipeline", po::value(&pipeline));
  po::positional_options_description positional;
  positional.add("pipeline", 1);
  po::variables_map vm;
  if (auto stop = parse_options(argc, argv, "trigger", opts, hidden, positional, vm)) return *stop;
  if (pipeline.empty()) {
    std::cerr << "cspmd trigger: which pipeline? (its id)\n" << opts;
    return kExitUsage;
  }
  const auto config = resolve_config(config_args, std::cerr);
  if (!config) return kExitConfig;
  if (config->serve.api_tokens.empty()) {
    std::cerr << "cspmd trigger: manual runs need [serve] api_tokens in " << config->file.string() << '\n';
    return kExitConfig;
  }
  std::string token;
  const auto base = config->file.empty() ? std::filesystem::current_path() : std::filesystem::absolute(config->file).parent_path();
  if (const Status s = resolve_secret(config->serve.api_tokens.front(), base, token); !s.ok()) {
    std::cerr << "cspmd trigger: " << s.message() << '\n';
    return kExitConfig;
  }
  if (url.empty()) {
    const std::string host = config->serve.address == "0.0.0.0" ? "127.0.0.1"
                             : config->serve.address.find(':') != std::string::npos ? "[" + config->serve.address + "]"
                                                                                   : config->serve.address;
    url = (config->serve.tls_certificate.empty() ? "http://" : "https://") + host + ":" + std::to_string(config->serve.port);
  }
  std::unique_ptr<HttpClient> client;
  HttpClientOptions client_options;
  client_options.ca_file = ca_file;
  if (const Status s = HttpClient::create(url, client_options, client); !s.ok()) {
    std::cerr << "cspmd trigger: " << s.message() << '\n';
    return kExitUsage;
  }
  HttpResponse res;
  if (const Status s = client->send({"POST", "/api/pipelines/" + pipeline + "/run", {{"Authorization", "Bearer " + token}}, {}}, res);
      !s.ok()) {
    std::cerr << "cspmd trigger: " << url << ": " << s.message() << " (is cspmd serve running?)\n";
    return kExitFailure;
  }
  const auto body = nlohmann::json::parse(res.body, nullptr, false);
  if (res.status == 202) {
    std::cout << pipeline << ": run queued\n";
    return kExitOk;
  }
  std::cerr << "cspmd trigger: " << res.status << ' '
            << (body.is_object() && body.contains("error") ? body["error"].get<std::string>() : res.body) << '\n';
  return res.status == 409 ? kExitOk : kExitFailure;  // already queued: the run will happen
}

}  // namespace cspm::app
