// ConnectorConfig: the shipped example loads; every mistake names the file,
// the line and the key.
#include "connectors/config.h"

#include <gtest/gtest.h>

#include <fstream>

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

constexpr const char* kMinimal = R"toml(
[connector]
identity = "douyin"

[sink]
type = "spool"
directory = "/tmp/spool"
)toml";

TEST_F(ConnectorConfigTest, TheShippedExampleLoads) {
  Result<ConnectorConfig> c = LoadConnectorConfig(REGLINE_CONNECTOR_EXAMPLE_CONFIG);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->identity, "douyin");
  EXPECT_EQ(c->sink.type, SinkType::kSpool);
}

TEST_F(ConnectorConfigTest, AMinimalFileGetsTheDocumentedDefaults) {
  Result<ConnectorConfig> c = Load(kMinimal);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->data_dir, "/var/lib/regline-connector");
  EXPECT_EQ(c->durability, Durability::kFull);
  EXPECT_EQ(c->local_endpoint, "tcp://127.0.0.1:*");
  EXPECT_EQ(c->gateway_endpoint, "tcp://127.0.0.1:5570");
  EXPECT_EQ(c->credit_window, 256u);
  EXPECT_EQ(c->reconnect_min_ms, 200);
  EXPECT_EQ(c->reconnect_max_ms, 30'000);
  EXPECT_TRUE(c->curve.empty());
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
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"spool\"\n", ":3: sink.directory: is required"},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"webhook\"\n",
       ":4: sink.type: must be \"spool\", \"command\" or \"discard\""},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"spool\"\ndirectory = \"/s\"\nargv = [\"/bin/true\"]\n",
       ":6: sink.argv: is only for type \"command\""},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"command\"\nargv = [\"intake\"]\n",
       ":5: sink.argv: the program must be an absolute path"},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"command\"\nargv = [\"/bin/x\", 3]\n",
       ":5: sink.argv: must be an array of strings"},
      {"[connector]\nidentity = \"douyin\"\n[sink]\ntype = \"spool\"\ndirectory = \"/s\"\n[extra]\n",
       ":6: extra: unknown key"},
      {"[connector]\nidentity = \"douyin\"\n[gateway]\ncurve_server_key = \"short\"\n[sink]\ntype = \"spool\"\n"
       "directory = \"/s\"\n",
       "gateway.curve_public_key (the three curve_* keys go together): is required"},
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
