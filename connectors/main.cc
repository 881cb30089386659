// regline-connector: the platform connector daemon. main() reads the
// config, builds the Connector, runs it, and on SIGTERM/SIGINT stops it
// (drain, then exit 0).
//
// Exit codes: 0 stopped cleanly (or --check-config found the file good);
// 1 usage; 2 the configuration is invalid (including a [security] key or
// file missing or wrong); 3 the connector could not start
// (data directory, inbox, outbox, sink, local endpoint; another connector
// on the same data directory).
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "connectors/config.h"
#include "connectors/connector.h"
#include "gateway/core/log.h"

namespace {

regline::connector::Connector* g_connector = nullptr;  // for the signal handler only

void OnSignal(int) {
  if (g_connector != nullptr) g_connector->RequestStop();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "regline-connector: receives a platform's Regline messages, hands them to its systems, and sends "
      "acknowledgements and reports back"};
  app.footer(
      "Exit codes: 0 clean stop; 1 usage; 2 invalid configuration; 3 could not start.\n"
      "The configuration file is documented key by key in regline-connector.toml (shipped example).");
  std::string config_path = "/etc/regline/regline-connector.toml";
  bool check_only = false;
  app.add_option("-c,--config", config_path, "configuration file (TOML)")->capture_default_str();
  app.add_flag("--check-config", check_only, "validate the configuration and exit");
  std::string log_level;
  app.add_option("--log-level", log_level,
                 "debug, info, warning or error (default: $REGLINE_LOG_LEVEL, else info)")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}));
  app.set_version_flag("--version", std::string("regline-connector ") + REGLINE_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 1;
  }
  if (!log_level.empty()) regline::SetLogLevel(*regline::ParseLogLevel(log_level));

  regline::Result<regline::connector::ConnectorConfig> config = regline::connector::LoadConnectorConfig(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "regline-connector: %s\n", config.status().message().c_str());
    return 2;
  }
  if (check_only) {
    const regline::connector::ConnectorSecurity& security = config->security;
    std::printf("%s: ok (identity %s, gateway %s, sink %s, data in %s, security %s)\n", config_path.c_str(),
                config->identity.c_str(), config->gateway_endpoint.c_str(),
                std::string(regline::connector::SinkTypeName(config->sink.type)).c_str(), config->data_dir.c_str(),
                security.secure() ? "curve, signing, verification"
                                  : "INSECURE_PLAINTEXT (development only)");
    return 0;
  }

  // Signals first, so that a SIGTERM during start-up still stops cleanly.
  regline::SystemClock clock;
  regline::connector::Connector connector(std::move(config).value(), clock, REGLINE_VERSION);
  g_connector = &connector;
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  if (regline::Status s = connector.Start(); !s.ok()) {
    std::fprintf(stderr, "regline-connector: cannot start: %s\n", s.ToString().c_str());
    connector.Stop();
    g_connector = nullptr;
    return 3;
  }
  connector.Run();
  connector.Stop();
  g_connector = nullptr;
  return 0;
}
