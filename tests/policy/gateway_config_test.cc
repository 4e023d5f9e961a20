#include "policy/gateway_config.h"

#include <gtest/gtest.h>

#include <string>

#include "policy/loader.h"

namespace isogate::policy {
namespace {

const std::string kFixtures = std::string(ISOGATE_SOURCE_DIR) + "/tests/policy/fixtures/";

std::string diagText(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d.sorted()) out += formatDiagnostic(x) + "\n";
  return out;
}

Policy cleanPolicy() {
  Diagnostics d;
  Policy p = loadPolicyFile(kFixtures + "clean.yaml", d);
  EXPECT_FALSE(d.hasErrors());
  return p;
}

// Loads (must load cleanly) and checks against clean.yaml.
std::string check(const std::string& text) {
  Diagnostics d;
  const GatewayConfig c = loadGatewayConfigText(text, "gw.yaml", d);
  EXPECT_EQ(diagText(d), "") << "config must load cleanly";
  checkGatewayConfig(c, cleanPolicy(), d);
  return diagText(d);
}

TEST(GatewayConfigTest, FixtureLoadsEveryField) {
  Diagnostics d;
  const GatewayConfig c = loadGatewayConfigFile(kFixtures + "gateway.yaml", d);
  ASSERT_EQ(diagText(d), "");
  EXPECT_EQ(c.version, 1);
  EXPECT_EQ(c.name, "gw-test-01");
  EXPECT_EQ(c.policyPath, kFixtures + "clean.yaml");
  EXPECT_EQ(c.backend, Backend::Dpdk);
  ASSERT_EQ(c.interfaces.size(), 4u);
  const GatewayInterface& ext = c.interfaces[0];
  EXPECT_EQ(ext.name, "ext0");
  EXPECT_EQ(ext.zone, "extranet");
  EXPECT_EQ(ext.where.line, 7);
  EXPECT_EQ(ext.zoneWhere.line, 8);
  EXPECT_EQ(ext.zoneWhere.column, 11);
  ASSERT_EQ(ext.addresses.size(), 2u);
  EXPECT_EQ(toString(ext.addresses[0].value), "10.20.0.1/16");
  EXPECT_EQ(toString(ext.addresses[0].value.network()), "10.20.0.0/16");
  EXPECT_EQ(toString(ext.addresses[1].value), "fd20::1/48");
  EXPECT_EQ(ext.device, "net_af_packet0,iface=veth-ext");
  EXPECT_FALSE(ext.monitor);
  EXPECT_TRUE(c.interfaces[3].monitor);
  EXPECT_TRUE(c.interfaces[3].addresses.empty());
  EXPECT_EQ(c.findInterface("portal0"), &c.interfaces[1]);
  EXPECT_EQ(c.findInterface("nope"), nullptr);

  ASSERT_EQ(c.routes.size(), 2u);
  EXPECT_EQ(toString(c.routes[0].to.value), "0.0.0.0/0");
  EXPECT_EQ(toString(c.routes[0].via.value), "203.0.113.1");
  EXPECT_EQ(toString(c.routes[1].via.value), "fd20::fe");
  EXPECT_EQ(c.dpdkEal,
            (std::vector<std::string>{"--no-huge", "-m", "512", "--no-pci", "-l", "0-1"}));

  ASSERT_EQ(c.events.syslog.size(), 4u);
  EXPECT_EQ(c.events.syslog[0].transport, SyslogTarget::Transport::Udp);
  EXPECT_EQ(c.events.syslog[0].host, "127.0.0.1");
  EXPECT_EQ(c.events.syslog[0].port, 514);
  EXPECT_EQ(c.events.syslog[1].transport, SyslogTarget::Transport::Tcp);
  EXPECT_EQ(c.events.syslog[1].host, "::1");
  EXPECT_EQ(c.events.syslog[1].port, 601);
  EXPECT_EQ(c.events.syslog[2].transport, SyslogTarget::Transport::Unix);
  EXPECT_EQ(c.events.syslog[2].path, "/dev/log");
  EXPECT_EQ(c.events.syslog[3].host, "loghost.example");
  EXPECT_EQ(c.events.syslog[3].port, 514);
  EXPECT_EQ(c.events.syslog[3].url, "udp://loghost.example");
  EXPECT_EQ(c.events.jsonPath, "/var/log/isogate/events.jsonl");
  EXPECT_EQ(c.events.aggregateIntervalSeconds, 30);
  EXPECT_EQ(c.events.facility, "local5");
  EXPECT_EQ(c.events.facilityCode, 21);

  EXPECT_TRUE(c.metrics.enabled);
  EXPECT_EQ(c.metrics.host, "127.0.0.1");
  EXPECT_EQ(c.metrics.port, 9797);
  EXPECT_EQ(c.control.socketPath, "/run/isogate/control.sock");
  EXPECT_EQ(c.control.admins, (std::vector<std::string>{"root"}));
  EXPECT_EQ(c.control.officers, (std::vector<std::string>{"isogate-officer"}));
  EXPECT_EQ(c.control.auditors, (std::vector<std::string>{"isogate-audit"}));

  Diagnostics pd;
  const Policy policy = loadPolicyFile(c.policyPath, pd);
  ASSERT_FALSE(pd.hasErrors());
  checkGatewayConfig(c, policy, d);
  EXPECT_EQ(diagText(d), "");
}

const std::string kMinimal = R"(version: 1
name: gw
policy: ../p/policy.yaml
backend: nftables
interfaces:
  - {name: ext0, zone: extranet, address: [10.20.0.1/16]}
)";

TEST(GatewayConfigTest, Defaults) {
  Diagnostics d;
  const GatewayConfig c = loadGatewayConfigText(kMinimal, "/etc/isogate/gw.yaml", d);
  ASSERT_EQ(diagText(d), "");
  EXPECT_EQ(c.policyPath, "/etc/p/policy.yaml");
  EXPECT_EQ(c.backend, Backend::Nftables);
  EXPECT_TRUE(c.events.syslog.empty());
  EXPECT_EQ(c.events.jsonPath, "");
  EXPECT_EQ(c.events.aggregateIntervalSeconds, 10);
  EXPECT_EQ(c.events.facility, "local4");
  EXPECT_EQ(c.events.facilityCode, 20);
  EXPECT_FALSE(c.metrics.enabled);
  EXPECT_EQ(c.control.socketPath, "/run/isogate/control.sock");
  EXPECT_TRUE(c.control.admins.empty());
  EXPECT_TRUE(c.routes.empty());
  EXPECT_EQ(check(kMinimal), "");
}

TEST(GatewayConfigTest, PolicyPathRelativeToABareFileNameStaysAsWritten) {
  Diagnostics d;
  EXPECT_EQ(loadGatewayConfigText(kMinimal, "gw.yaml", d).policyPath, "../p/policy.yaml");
  EXPECT_EQ(loadGatewayConfigText(kMinimal, "conf/gw.yaml", d).policyPath, "p/policy.yaml");
}

TEST(GatewayConfigTest, ForwardingBetweenLogicalZonesAndMonitoringTheClassifiedOneIsFine) {
  EXPECT_EQ(check(kMinimal + R"(  - {name: portal0, zone: portal, address: [172.16.30.1/24]}
  - {name: inet0, zone: internet, address: [198.51.100.2/24, "2001:db8::2/64"]}
  - {name: tap0, zone: intranet, monitor: true}
  - {name: tap1, zone: extranet, monitor: true}
routes:
  - {to: 0.0.0.0/0, via: 198.51.100.1}
  - {to: "::/0", via: "2001:db8::1"}
metrics: "[::1]:9797"
)"),
            "");
}

TEST(GatewayConfigTest, PhysicalPairIsAnErrorAtTheLaterInterfaceAndSuggestsTheClassifiedZone) {
  EXPECT_EQ(check(R"(version: 1
name: gw
policy: p.yaml
backend: nftables
interfaces:
  - {name: intra0, zone: intranet, address: [10.10.0.1/16]}
  - {name: ext0, zone: extranet, address: [10.20.0.1/16]}
)"),
            "gw.yaml:7:24: error: interfaces 'intra0' (intranet) and 'ext0' (extranet) forward "
            "between physically isolated zones; attach the intranet segment as a monitor "
            "interface\n");
}

TEST(GatewayConfigTest, DeviceIsIgnoredWithNftablesAndMetricsOffLoopbackWarn) {
  EXPECT_EQ(check(kMinimal + R"(  - {name: inet0, zone: internet, device: "0000:01:00.0"}
metrics: 10.20.0.1:9797
)"),
            "gw.yaml:7:43: warning: 'device' of interface 'inet0' is ignored with the nftables "
            "backend\n"
            "gw.yaml:8:10: warning: metrics endpoint '10.20.0.1' is not on loopback; anyone who "
            "can reach it can read the gateway's counters\n");
}

TEST(GatewayConfigTest, UnreadableFileIsAnErrorWithoutPosition) {
  Diagnostics d;
  loadGatewayConfigFile("/nonexistent/gw.yaml", d);
  ASSERT_EQ(d.all().size(), 1u);
  EXPECT_EQ(formatDiagnostic(d.all()[0]),
            "/nonexistent/gw.yaml: error: cannot read gateway config file: No such file or "
            "directory");
}

}  // namespace
}  // namespace isogate::policy
