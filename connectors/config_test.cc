// ConnectorConfig: the shipped example loads; every mistake names the file,
// the line and the key.
#include "connectors/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "connectors/test_keys.h"
#include "gateway/core/test_util.h"

namespace regline::connector {
namespace {

class ConnectorConfigTest : public ::testing::Test {
 protected:
  Result<ConnectorConfig> Load(const std::string& text) {
    std::ofstream(dir_.File("c.toml")) << text;
    return LoadConnectorConfig(dir_.File("c.toml"));
  }
  regline::testing::TempDir dir_;
};

constexpr const char* kDevelopment = "[security]\ninsecure_plaintext_for_development = true\n";

constexpr const char* kMinimal = R"toml(
[connector]
identity = "douyin"

[sink]
type = "spool"
directory = "/tmp/spool"

[security]
insecure_plaintext_for_development = true
)toml";

TEST_F(ConnectorConfigTest, TheShippedExampleLoadsBesideTheFilesKeygenWrites) {
  std::filesystem::copy_file(REGLINE_CONNECTOR_EXAMPLE_CONFIG, dir_.File("regline-connector.toml"));
  testing::SecurityFiles files = testing::WriteSecurityFiles(dir_.path());
  Result<ConnectorConfig> c = LoadConnectorConfig(dir_.File("regline-connector.toml"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->identity, "douyin");
  EXPECT_EQ(c->sink.type, SinkType::kSpool);
  const ConnectorSecurity& s = c->security;
  EXPECT_TRUE(s.secure());
  // Relative paths count from the config file's directory.
  EXPECT_EQ(s.key_file, dir_.File("douyin.curve.key"));
  EXPECT_EQ(s.registry_file, dir_.File("identities.toml"));
  EXPECT_EQ(s.curve.server_public, files.gateway.public_z85);
  EXPECT_EQ(s.curve.client_public, files.douyin.curve.public_z85);
  EXPECT_EQ(s.curve.client_secret, files.douyin.curve.secret_z85);
  ASSERT_TRUE(s.signer.has_value());
  EXPECT_EQ(s.signer->identity(), "douyin");
  EXPECT_EQ(s.signer->key_id(), identity::KeyIdOf(files.douyin.signing.public_key()));
  ASSERT_TRUE(s.registry.has_value());
  EXPECT_NE(s.registry->Find("samr-console"), nullptr);
}

TEST_F(ConnectorConfigTest, ServerKeyMayBeGivenAsZ85) {
  testing::SecurityFiles files = testing::WriteSecurityFiles(dir_.path());
  Result<ConnectorConfig> c = Load(std::string(kMinimal).replace(
      std::string(kMinimal).find("insecure_plaintext_for_development = true"),
      std::string("insecure_plaintext_for_development = true").size(),
      "key_file = \"douyin.curve.key\"\nserver_key = \"" + files.gateway.public_z85 +
          "\"\nsigning_key = \"douyin.sign.key\"\nregistry = \"identities.toml\""));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->security.curve.server_public, files.gateway.public_z85);
}

TEST_F(ConnectorConfigTest, DevelopmentModeNeedsNoKeysButTakesASigningKeyAndRegistry) {
  Result<ConnectorConfig> bare = Load(kMinimal);
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_FALSE(bare->security.secure());
  EXPECT_TRUE(bare->security.curve.empty());
  EXPECT_FALSE(bare->security.signer.has_value());
  EXPECT_FALSE(bare->security.registry.has_value());
  testing::WriteSecurityFiles(dir_.path());
  Result<ConnectorConfig> c =
      Load(std::string(kMinimal) + "signing_key = \"douyin.sign.key\"\nregistry = \"identities.toml\"\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->security.curve.empty());
  EXPECT_TRUE(c->security.signer.has_value());
  EXPECT_TRUE(c->security.registry.has_value());
}

TEST_F(ConnectorConfigTest, WithoutInsecureModeMissingKeysAreNamedWithWhatToSet) {
  Result<ConnectorConfig> c = Load("[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"discard\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  const std::string m = c.status().message();
  for (const char* key : {"key_file", "server_key", "signing_key", "registry", "reglinectl keygen",
                          "insecure_plaintext_for_development = true"}) {
    EXPECT_NE(m.find(key), std::string::npos) << key << " in: " << m;
  }
}

struct SecurityCase {
  std::string security;  // the [security] table's body; files from WriteSecurityFiles are beside
  std::string expected;
  std::function<void(const std::filesystem::path&)> spoil = nullptr;  // changes a file first
};

TEST_F(ConnectorConfigTest, SecurityMistakesNameTheKeyAndTheFile) {
  const std::string full =
      "key_file = \"douyin.curve.key\"\nserver_key = \"gateway.curve.pub\"\nsigning_key = \"douyin.sign.key\"\n"
      "registry = \"identities.toml\"\n";
  const SecurityCase cases[] = {
      {"insecure_plaintext_for_development = \"yes\"\n",
       ":2: security.insecure_plaintext_for_development: must be true or false"},
      {"insecure_plaintext_for_development = true\nkey_file = \"douyin.curve.key\"\n",
       ":3: security.key_file: is not used with insecure_plaintext_for_development = true"},
      {full + "curve_key = \"x\"\n", ":6: security.curve_key: unknown key"},
      {"key_file = \"\"\n", ":2: security.key_file: must not be empty"},
      {"key_file = \"absent.curve.key\"\nserver_key = \"gateway.curve.pub\"\nsigning_key = \"douyin.sign.key\"\n"
       "registry = \"identities.toml\"\n",
       "[security] key_file: " + dir_.File("absent.curve.key") + ": no such file"},
      {full, "[security] key_file: " + dir_.File("douyin.curve.key") + ": mode 0644",
       [](const std::filesystem::path& d) {
         std::filesystem::permissions(d / "douyin.curve.key", std::filesystem::perms(0644));
       }},
      {"key_file = \"douyin.curve.key\"\nserver_key = \"douyin.curve.key\"\nsigning_key = \"douyin.sign.key\"\n"
       "registry = \"identities.toml\"\n",
       "[security] server_key (40 Z85 characters, or a .curve.pub file): "},
      {"key_file = \"douyin.curve.key\"\nserver_key = \"gateway.curve.pub\"\nsigning_key = \"douyin.curve.key\"\n"
       "registry = \"identities.toml\"\n",
       "[security] signing_key: "},
      {full, "[security] registry: " + dir_.File("identities.toml") + " does not register 'douyin'",
       [](const std::filesystem::path& d) { std::ofstream(d / "identities.toml", std::ios::trunc) << ""; }},
  };
  for (const SecurityCase& sc : cases) {
    regline::testing::TempDir dir;
    testing::WriteSecurityFiles(dir.path());
    if (sc.spoil) sc.spoil(dir.path());
    const std::string path = dir.File("c.toml");
    std::ofstream(path) << "[security]\n" << sc.security << "[connector]\nidentity = \"douyin\"\n[sink]\n"
                        << "type = \"discard\"\n";
    Result<ConnectorConfig> r = LoadConnectorConfig(path);
    ASSERT_FALSE(r.ok()) << sc.security;
    std::string expected = sc.expected;
    // Messages name files in this case's own directory.
    for (size_t at = expected.find(dir_.path().string()); at != std::string::npos;
         at = expected.find(dir_.path().string(), at + 1)) {
      expected.replace(at, dir_.path().string().size(), dir.path().string());
    }
    const std::string m = r.status().message();
    EXPECT_EQ(m.rfind(path, 0), 0u) << m;
    EXPECT_NE(m.find(expected), std::string::npos) << "message: " << m << "\nexpected: " << expected;
  }
}

TEST_F(ConnectorConfigTest, TheOldCurveKeysOfTheGatewayTableSayWhereTheyMoved) {
  Result<ConnectorConfig> c = Load(std::string("[connector]\nidentity = \"douyin\"\n[gateway]\n"
                                               "curve_server_key = \"x\"\n[sink]\ntype = \"discard\"\n") +
                                   kDevelopment);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(":4: gateway.curve_server_key: moved: set [security] server_key instead"),
            std::string::npos)
      << c.status().message();
}

TEST_F(ConnectorConfigTest, AMinimalFileGetsTheDocumentedDefaults) {
  Result<ConnectorConfig> c = Load(kMinimal);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->data_dir, "/var/lib/regline-connector");
  EXPECT_EQ(c->durability, Durability::kFull);
  EXPECT_EQ(c->local_endpoint, "tcp://127.0.0.1:*");
  EXPECT_EQ(c->gateway_endpoint, "tcp://127.0.0.1:5570");
  EXPECT_EQ(c->credit_window, 16384u);
  EXPECT_EQ(c->reconnect_min_ms, 200);
  EXPECT_EQ(c->reconnect_max_ms, 30'000);
  EXPECT_EQ(c->retention_days, 1095);
  EXPECT_EQ(c->retention_check_ms, 3'600'000);
  EXPECT_TRUE(c->security.curve.empty());
  EXPECT_EQ(c->sink.directory, "/tmp/spool");
  EXPECT_EQ(c->inbox_path(), "/var/lib/regline-connector/inbox.db");
  EXPECT_EQ(c->endpoint_file(), "/var/lib/regline-connector/connector.endpoint");
}

TEST_F(ConnectorConfigTest, ACommandSinkTakesItsArgvAndTimeout) {
  Result<ConnectorConfig> c = Load(R"toml(
[connector]
identity = "kuaishou"
durability = "normal"
[gateway]
endpoint = "tcp://gw.example:5570"
credit_window = 16
[sink]
type = "command"
argv = ["/usr/local/bin/intake", "--from", "regline"]
timeout_ms = 1500
[security]
insecure_plaintext_for_development = true
)toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->durability, Durability::kNormal);
  EXPECT_EQ(c->credit_window, 16u);
  EXPECT_EQ(c->sink.type, SinkType::kCommand);
  EXPECT_EQ(c->sink.argv, (std::vector<std::string>{"/usr/local/bin/intake", "--from", "regline"}));
  EXPECT_EQ(c->sink.timeout_ms, 1500);
}

TEST_F(ConnectorConfigTest, ADiscardSinkTakesNoOtherKeys) {
  Result<ConnectorConfig> c = Load(R"toml(
[connector]
identity = "douyin"
[sink]
type = "discard"
[security]
insecure_plaintext_for_development = true
)toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->sink.type, SinkType::kDiscard);
  Result<ConnectorConfig> bad = Load(R"toml(
[connector]
identity = "douyin"
[sink]
type = "discard"
directory = "/tmp/x"
)toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("sink.directory: is not used by type \"discard\""), std::string::npos)
      << bad.status().ToString();
}

TEST_F(ConnectorConfigTest, AWebhookSinkReadsItsSecretFileAndResolvesPathsAgainstTheConfig) {
  const std::string text = R"toml(
[connector]
identity = "douyin"
[sink]
type = "webhook"
url = "https://intake.douyin.example/regline"
secret_file = "webhook.secret"
ca_file = "platform-ca.pem"
client_cert = "client.pem"
client_key = "client.key"
max_in_flight = 32
request_timeout_ms = 5000
[security]
insecure_plaintext_for_development = true
)toml";
  std::ofstream(dir_.File("webhook.secret")) << "short\n";
  std::filesystem::permissions(dir_.File("webhook.secret"), std::filesystem::perms::owner_read);
  Result<ConnectorConfig> weak = Load(text);
  ASSERT_FALSE(weak.ok());
  EXPECT_NE(weak.status().message().find("holds fewer than 16 bytes"), std::string::npos) << weak.status().ToString();

  std::filesystem::permissions(dir_.File("webhook.secret"), std::filesystem::perms::owner_write);
  std::ofstream(dir_.File("webhook.secret")) << "0123456789abcdef0123\n";
  std::filesystem::permissions(dir_.File("webhook.secret"),
                               std::filesystem::perms::owner_read | std::filesystem::perms::group_read);
  Result<ConnectorConfig> readable = Load(text);
  ASSERT_FALSE(readable.ok()) << "a secret others may read is refused";

  std::filesystem::permissions(dir_.File("webhook.secret"), std::filesystem::perms::owner_read);
  Result<ConnectorConfig> c = Load(text);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->sink.type, SinkType::kWebhook);
  EXPECT_EQ(c->sink.webhook.secret, "0123456789abcdef0123");
  EXPECT_EQ(c->sink.webhook.ca_file, dir_.File("platform-ca.pem"));
  EXPECT_EQ(c->sink.webhook.client_key_file, dir_.File("client.key"));
  EXPECT_EQ(c->sink.webhook.max_in_flight, 32);
  EXPECT_EQ(c->sink.webhook.timeout_ms, 5000);
  EXPECT_EQ(c->sink.webhook.connect_timeout_ms, 5000);  // the default
  EXPECT_FALSE(c->sink.webhook.insecure_skip_tls_verify);
}

struct BadCase {
  const char* text;
  const char* expected;  // must appear in the message, after "c.toml:"
};

TEST_F(ConnectorConfigTest, MistakesNameTheFileTheLineAndTheKey) {
  const BadCase cases[] = {
      {"[connector]\nidentity = \"douyin\"\nidentiy = \"x\"\n[sink]\ntype = \"spool\"\ndirectory = \"/s\"\n",
       ":3: connector.identiy: unknown key"},
      {"[connector]\nidentity = \"douyin\"\ndurability = \"fast\"\n[sink]\ntype = \"spool\"\ndirectory = \"/s\"\n",
       ":3: connector.durability: must be \"full\" or \"normal\""},
      {"[connector]\nidentity = \"douyin\"\n[gateway]\ncredit_window = 0\n[sink]\ntype = \"spool\"\ndirectory = "
       "\"/s\"\n",
       ":4: gateway.credit_window: must be between 1 and 65536"},
      {"[connector]\nidentity = \"douyin\"\n[gateway]\nreconnect_min_ms = \"fast\"\n[sink]\ntype = \"spool\"\n"
       "directory = \"/s\"\n",
       ":4: gateway.reconnect_min_ms: must be an integer"},
      {"[connector]\nidentity = \"douyin\"\n[gateway]\nreconnect_min_ms = 5000\nreconnect_max_ms = 1000\n[sink]\n"
       "type = \"spool\"\ndirectory = \"/s\"\n",
       ":5: gateway.reconnect_max_ms: must not be below reconnect_min_ms"},
      {"[connector]\ndata_dir = \"/x\"\n[sink]\ntype = \"spool\"\ndirectory = \"/s\"\n",
       ":1: connector.identity: is required"},
      {"[connector]\nidentity = \"douyin\"\nretention_days = 0\n[sink]\ntype = \"spool\"\ndirectory = \"/s\"\n",
       ":3: connector.retention_days: must be between 1 and 36500"},
      {"[connector]\nidentity = \"douyin\"\nretention_check_ms = 10\n[sink]\ntype = \"spool\"\ndirectory = "
       "\"/s\"\n",
       ":3: connector.retention_check_ms: must be between 1000 and 86400000"},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"spool\"\n", ":3: sink.directory: is required"},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"ftp\"\n",
       ":4: sink.type: must be \"spool\", \"command\", \"webhook\" or \"discard\""},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"webhook\"\nsecret_file = \"s\"\n",
       ":3: sink.url: is required"},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"webhook\"\nurl = \"http://p.example/in\"\n"
       "secret_file = \"s\"\n",
       ":5: sink.url: must be an https:// URL (http:// only with insecure_skip_tls_verify_for_development = true)"},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"webhook\"\nurl = \"https://p.example/in\"\n"
       "secret_file = \"s\"\nclient_cert = \"c.pem\"\n",
       ":7: sink.client_cert: needs client_cert and client_key together (mutual TLS)"},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"webhook\"\nurl = \"https://p.example/in\"\n"
       "secret_file = \"s\"\nmax_in_flight = 0\n",
       ":7: sink.max_in_flight: must be between 1 and 1024"},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"spool\"\ndirectory = \"/s\"\nurl = \"https://x\"\n",
       ":6: sink.url: is only for type \"webhook\""},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"spool\"\ndirectory = \"/s\"\nargv = [\"/bin/true\"]\n",
       ":6: sink.argv: is only for type \"command\""},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"command\"\nargv = [\"intake\"]\n",
       ":5: sink.argv: the program must be an absolute path"},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"command\"\nargv = [\"/bin/x\", 3]\n",
       ":5: sink.argv: must be an array of strings"},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"spool\"\ndirectory = \"/s\"\n[extra]\n",
       ":6: extra: unknown key"},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"discard\"\n[http_api]\nlisten = \"localhost\"\n"
       "token_file = \"t\"\n",
       ":6: http_api.listen: must be HOST:PORT"},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"discard\"\n[http_api]\nlisten = \"127.0.0.1:80\"\n",
       ":5: http_api.token_file: is required"},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"discard\"\n[http_api]\ntoken_file = \"t\"\nport = 1\n",
       ":7: http_api.port: unknown key"},
      {"[connector]\nidentity = \"douyin\"\n[sink\n", ":3: "},
  };
  for (const BadCase& c : cases) {
    Result<ConnectorConfig> r = Load(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    const std::string m = r.status().message();
    EXPECT_EQ(m.rfind(dir_.File("c.toml"), 0), 0u) << m;
    EXPECT_NE(m.find(c.expected), std::string::npos) << "message: " << m << "\nexpected: " << c.expected;
  }
}

TEST_F(ConnectorConfigTest, AMissingFileIsAnError) {
  Result<ConnectorConfig> r = LoadConnectorConfig(dir_.File("absent.toml"));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("absent.toml"), std::string::npos);
}

}  // namespace
}  // namespace regline::connector
