// regline-gateway: the daemon. main() reads the config, builds the Gateway,
// runs it, on SIGHUP has it re-read its policy file, and on SIGTERM/SIGINT
// stops it (drain, then exit 0).
//
// Exit codes: 0 stopped cleanly (or --check-config / --check-policy found
// the file good); 1 usage; 2 the configuration or policy is invalid; 3 the
// gateway could not start (store, data directory, listener) or failed
// while running.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "gateway/core/log.h"
#include "gateway/server/config.h"
#include "gateway/server/server.h"

namespace {

regline::server::Gateway* g_gateway = nullptr;  // for the signal handler only

void OnSignal(int) {
  if (g_gateway != nullptr) g_gateway->RequestStop();
}

void OnHangUp(int) {
  if (g_gateway != nullptr) g_gateway->RequestPolicyReload();
}

// --check-policy FILE: 0 and a summary when it loads, 2 and the first
// mistake (file, line, key) when it does not.
int CheckPolicy(const std::string& path) {
  regline::Result<regline::policy::Policy> p = regline::server::LoadGatewayPolicy(path);
  if (!p.ok()) {
    std::fprintf(stderr, "regline-gateway: %s\n", p.status().message().c_str());
    return 2;
  }
  int actions = 0;
  for (const auto& a : p->actions) actions += a.subjects.empty() ? 0 : 1;
  std::printf("%s: ok (policy %s, %d directive actions)\n", path.c_str(), p->name.c_str(), actions);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"regline-gateway: the message gateway between live-marketing regulators and platforms"};
  app.footer(
      "Exit codes: 0 clean stop; 1 usage; 2 invalid configuration; 3 could not start or failed while running.\n"
      "The configuration file is documented key by key in regline-gateway.toml (shipped default).");
  std::string config_path = "/etc/regline/regline-gateway.toml";
  bool check_only = false;
  app.add_option("-c,--config", config_path, "configuration file (TOML)")->capture_default_str();
  app.add_flag("--check-config", check_only, "validate the configuration (and the policy it names) and exit");
  std::string policy_to_check;
  app.add_option("--check-policy", policy_to_check,
                 "validate a policy file (docs/policies.md) and exit, without reading the configuration")
      ->type_name("FILE");
  std::string log_level;
  app.add_option("--log-level", log_level,
                 "debug, info, warning or error (default: $REGLINE_LOG_LEVEL, else info)")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}));
  app.set_version_flag("--version", std::string("regline-gateway ") + REGLINE_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 1;
  }
  if (!log_level.empty()) regline::SetLogLevel(*regline::ParseLogLevel(log_level));
  if (!policy_to_check.empty()) return CheckPolicy(policy_to_check);

  regline::Result<regline::server::GatewayConfig> config = regline::server::LoadGatewayConfig(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "regline-gateway: %s\n", config.status().message().c_str());
    return 2;
  }
  if (check_only) {
    std::printf("%s: ok (%zu identities, %s, listen %s, data in %s, policy %s)\n", config_path.c_str(),
                config->registry.identities().size(),
                config->security.insecure_plaintext_for_development ? "INSECURE plaintext (development only)" : "CURVE",
                config->listen.c_str(), config->data_dir.c_str(), config->policy.name.c_str());
    return 0;
  }

  regline::SystemClock clock;
  regline::server::Gateway gateway(std::move(config).value(), clock);
  if (regline::Status s = gateway.Start(); !s.ok()) {
    std::fprintf(stderr, "regline-gateway: cannot start: %s\n", s.ToString().c_str());
    return 3;
  }
  g_gateway = &gateway;
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  struct sigaction hup {};
  hup.sa_handler = OnHangUp;
  sigemptyset(&hup.sa_mask);
  sigaction(SIGHUP, &hup, nullptr);
  signal(SIGPIPE, SIG_IGN);
  regline::Status s = gateway.Run();
  g_gateway = nullptr;
  if (!s.ok()) {
    std::fprintf(stderr, "regline-gateway: %s\n", s.ToString().c_str());
    return 3;
  }
  return 0;
}
