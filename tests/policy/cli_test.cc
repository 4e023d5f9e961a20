// Runs the built isogate-policy binary: exit codes and exact outputs of every
// subcommand, as scripts and CI see them.
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/policy/policy_fixture.h"

namespace {

namespace fs = std::filesystem;

const std::string kBinary = std::string(ISOGATE_BINARY_DIR) + "/policy/isogate-policy";
const std::string kExample =
    std::string(ISOGATE_SOURCE_DIR) + "/configs/tianjin-egov-boundary.yaml";
const std::string kGateway = std::string(ISOGATE_SOURCE_DIR) + "/configs/gw-nftables.yaml";

struct Result {
  int exit = -1;
  std::string out, err;
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("isogate-cli-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    ASSERT_TRUE(fs::exists(kBinary)) << kBinary;
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result run(const std::vector<std::string>& args) {
    std::string cmd = quote(kBinary);
    for (const auto& a : args) cmd += ' ' + quote(a);
    const fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    cmd += " >" + quote(out) + " 2>" + quote(err);
    const int status = std::system(cmd.c_str());
    Result r;
    r.exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  // `trace EXAMPLE --json --at "mon 10:00" ARGS...`, parsed.
  nlohmann::json traceJson(std::vector<std::string> args) {
    args.insert(args.begin(), {"trace", kExample, "--json", "--at", "mon 10:00"});
    const Result r = run(args);
    EXPECT_EQ(r.exit, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }

  fs::path dir_;
};

namespace fixture = isogate::policy::testing;

const std::string kSmall = fixture::policyText({R"(version: 1
name: small
zones:
  extranet:
    level: internal
    networks: [10.20.0.0/16]
)",
                                                fixture::kPortalZone, fixture::kInternetZone,
                                                fixture::kLogicalHttpsSsh, fixture::kCitizensRule});

const std::string kPublish(fixture::kPublishContentRule);

const std::string kAlt(fixture::kCitizensAltRule);

// ---- check --------------------------------------------------------------------

TEST_F(CliTest, CheckExampleIsValid) {
  const Result r = run({"check", kExample});
  EXPECT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, kExample + ": valid, 0 errors, 0 warnings\n");
}

TEST_F(CliTest, CheckExampleWithGatewayIsValid) {
  const Result r = run({"check", kExample, "--gateway", kGateway});
  EXPECT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(r.err, kExample + " + " + kGateway + ": valid, 0 errors, 0 warnings\n");
}

TEST_F(CliTest, CheckBrokenPolicyPrintsDiagnosticAndExits1) {
  std::string text = kSmall;
  text.replace(text.find("10.20.0.0/16"), 12, "10.20.1.5/16");
  const std::string path = write("broken.yaml", text);
  const Result r = run({"check", path});
  EXPECT_EQ(r.exit, 1);
  EXPECT_EQ(r.err, path +
                       ":6:16: error: invalid network '10.20.1.5/16': host bits set; did you mean "
                       "10.20.0.0/16?\n" +
                       path + ": invalid, 1 error, 0 warnings\n");
}

TEST_F(CliTest, UsageErrorsExit2) {
  Result r = run({"check"});
  EXPECT_EQ(r.exit, 2);
  EXPECT_EQ(r.err, "isogate-policy check: missing POLICY\nTry 'isogate-policy check --help'.\n");
  r = run({"check", kExample, "--frobnicate"});
  EXPECT_EQ(r.exit, 2);
  EXPECT_EQ(
      r.err,
      "isogate-policy check: unknown option '--frobnicate'\nTry 'isogate-policy check --help'.\n");
  r = run({"trace", kExample, "--src"});
  EXPECT_EQ(r.exit, 2);
  EXPECT_EQ(
      r.err,
      "isogate-policy trace: option '--src' needs a value\nTry 'isogate-policy trace --help'.\n");
  r = run({"trace", kExample, "--src", "10.20.1.1", "--dst", "10.400.0.1"});
  EXPECT_EQ(r.exit, 2);
  EXPECT_EQ(r.err,
            "isogate-policy trace: --dst: '10.400.0.1' is not an IPv4 or IPv6 address\n"
            "Try 'isogate-policy trace --help'.\n");
  r = run({"compile", kExample, "--target", "iptables"});
  EXPECT_EQ(r.exit, 2);
  EXPECT_EQ(r.err,
            "isogate-policy compile: unknown target 'iptables' (expected nft or ir)\n"
            "Try 'isogate-policy compile --help'.\n");
  r = run({"frobnicate"});
  EXPECT_EQ(r.exit, 2);
  EXPECT_EQ(r.err, "isogate-policy: unknown command 'frobnicate'\nTry 'isogate-policy --help'.\n");
  r = run({"check", (dir_ / "missing.yaml").string()});
  EXPECT_EQ(r.exit, 2);
  EXPECT_EQ(r.err, "isogate-policy check: cannot read " + (dir_ / "missing.yaml").string() +
                       ": No such file or directory\n");
}

TEST_F(CliTest, EveryCommandHasHelp) {
  for (const char* cmd : {"check", "compile", "trace", "diff", "graph", "audit"}) {
    const Result r = run({cmd, "--help"});
    EXPECT_EQ(r.exit, 0) << cmd;
    EXPECT_EQ(r.out.rfind(std::string("usage: isogate-policy ") + cmd, 0), 0u) << r.out;
    EXPECT_NE(r.out.find("exit status"), std::string::npos) << cmd;
  }
  const Result r = run({"--help"});
  EXPECT_EQ(r.exit, 0);
  EXPECT_NE(r.out.find("audit POLICY --segment ZONE CAPTURE.pcap"), std::string::npos);
}

// ---- compile ------------------------------------------------------------------

TEST_F(CliTest, CompileTargets) {
  Result r = run({"compile", kExample, "--target", "ir"});
  EXPECT_EQ(r.exit, 0) << r.err;
  const auto ir = nlohmann::json::parse(r.out);
  EXPECT_EQ(ir["name"], "tianjin-egov-boundary");
  EXPECT_EQ(ir["any_zone"], "internet");
  const std::string out = (dir_ / "ruleset.nft").string();
  r = run({"compile", kExample, "--target", "nft", "--gateway", kGateway, "-o", out});
  EXPECT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(r.out, "");
  const std::string nft = slurp(out);
  EXPECT_NE(nft.find("table inet isogate {"), std::string::npos);
  EXPECT_NE(nft.find("iifname \"intra-tap\""),
            std::string::npos);  // interfaces of the gateway config
  std::string text = kSmall;
  text.replace(text.find("10.20.0.0/16"), 12, "10.20.1.5/16");
  r = run({"compile", write("broken.yaml", text), "--target", "nft"});
  EXPECT_EQ(r.exit, 1);
  EXPECT_EQ(r.out, "");
}

// ---- trace --------------------------------------------------------------------

TEST_F(CliTest, TraceJsonAllowedPhysicalLogicalIntra) {
  auto j = traceJson({"--src", "203.0.113.7", "--dst", "172.16.30.10", "--dport", "443"});
  EXPECT_EQ(j["verdict"], "allow");
  EXPECT_EQ(j["from_zone"], "internet");
  EXPECT_EQ(j["to_zone"], "portal");
  EXPECT_EQ(j["isolation"], "logical");
  EXPECT_EQ(j["rule"], "citizens-browse-portal");
  EXPECT_EQ(j["location"], kExample + ":57");
  EXPECT_EQ(j["policy"].get<std::string>().rfind("sha256:", 0), 0u);

  j = traceJson({"--src", "10.10.1.5", "--dst", "10.20.1.9", "--dport", "445"});
  EXPECT_EQ(j["verdict"], "deny");
  EXPECT_EQ(j["from_zone"], "intranet");
  EXPECT_EQ(j["to_zone"], "extranet");
  EXPECT_EQ(j["isolation"], "physical");
  EXPECT_TRUE(j["rule"].is_null());
  EXPECT_TRUE(j["location"].is_null());

  j = traceJson({"--src", "10.20.7.7", "--dst", "172.16.30.10", "--dport", "22"});
  EXPECT_EQ(j["verdict"], "deny");
  EXPECT_EQ(j["isolation"], "logical");
  EXPECT_TRUE(j["rule"].is_null());
  EXPECT_TRUE(j["location"].is_null());

  j = traceJson({"--src", "172.16.30.11", "--dst", "172.16.30.12", "--dport", "80"});
  EXPECT_EQ(j["verdict"], "deny");  // the portal's intra_zone: deny
  EXPECT_EQ(j["isolation"], "intra-zone");
  EXPECT_EQ(j["from_zone"], "portal");
  EXPECT_TRUE(j["rule"].is_null());

  j = traceJson({"--src", "172.16.30.5", "--dst", "172.16.30.100", "--dport", "5432"});
  EXPECT_EQ(j["verdict"], "allow");
  EXPECT_EQ(j["isolation"], "intra-zone");
  EXPECT_EQ(j["rule"], "portal-web-to-database");

  j = traceJson({"--src", "fd20::1", "--dst", "fd20::2", "--proto", "icmpv6"});
  EXPECT_EQ(j["verdict"], "allow");  // the extranet's intra_zone: allow
  EXPECT_EQ(j["isolation"], "intra-zone");
  EXPECT_EQ(j["packet"]["icmp_type"], "echo-request");
}

TEST_F(CliTest, TraceTextNamesScheduleAndDecidingRule) {
  const Result r = run({"trace", kExample, "--src", "10.20.5.7", "--dst", "172.16.30.10", "--dport",
                        "22", "--at", "sat 10:00"});
  EXPECT_EQ(r.exit, 0) << r.err;
  EXPECT_NE(
      r.out.find(kExample +
                 ":83 publish-content: no match: schedule mon-fri 08:00-18:00 is inactive at sat "
                 "10:00\n"),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("verdict      deny: no rule matched, default deny of a logical pair"),
            std::string::npos);
}

// ---- diff ---------------------------------------------------------------------

TEST_F(CliTest, DiffListsOpenedAndClosed) {
  const std::string oldP = write("old.yaml", std::string(kSmall) + kPublish);
  const std::string newP = write("new.yaml", std::string(kSmall) + kAlt);
  Result r = run({"diff", oldP, newP});
  EXPECT_EQ(r.exit, 1) << r.err;
  EXPECT_EQ(r.out,
            "- extranet -> portal  tcp/22 from 10.20.5.0/24 to 172.16.30.10/32  (was rule "
            "'publish-content')\n"
            "+ internet -> portal  tcp/8443  (rule 'citizens-alt' EX-2026-020)\n");
  r = run({"diff", oldP, oldP});
  EXPECT_EQ(r.exit, 0);
  EXPECT_EQ(r.out, "no change in reachability\n");
  r = run({"diff", oldP, newP, "--json"});
  EXPECT_EQ(r.exit, 1);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["reachability"].size(), 2u);
  EXPECT_EQ(j["reachability"][0]["change"], "closed");
  r = run({"diff", oldP});
  EXPECT_EQ(r.exit, 2);
  EXPECT_EQ(r.err, "isogate-policy diff: missing NEW\nTry 'isogate-policy diff --help'.\n");
}

// ---- graph --------------------------------------------------------------------

TEST_F(CliTest, GraphDotAndSvg) {
  Result r = run({"graph", kExample});
  EXPECT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(r.out.rfind("digraph \"tianjin-egov-boundary\" {", 0), 0u);
  EXPECT_NE(r.out.find("\"intranet\" -> \"extranet\" [dir=none, color=red"), std::string::npos);
  r = run({"graph", kExample, "--svg"});
  EXPECT_EQ(r.exit, 0) << r.err;
  EXPECT_NE(r.out.find("<svg"), std::string::npos);
  const std::string out = (dir_ / "g.svg").string();
  r = run({"graph", kExample, "--svg", "-o", out});
  EXPECT_EQ(r.exit, 0);
  EXPECT_NE(slurp(out).find("<svg"), std::string::npos);
}

// ---- audit --------------------------------------------------------------------

using Bytes = std::vector<uint8_t>;

Bytes ipv4Frame(std::vector<uint8_t> src, std::vector<uint8_t> dst, uint8_t proto, uint16_t sport,
                uint16_t dport) {
  Bytes b(12, 0x02);
  b.push_back(0x08);
  b.push_back(0x00);
  const Bytes ip = {0x45, 0, 0, 40, 0, 1, 0, 0, 64, proto, 0, 0};
  b.insert(b.end(), ip.begin(), ip.end());
  b.insert(b.end(), src.begin(), src.end());
  b.insert(b.end(), dst.begin(), dst.end());
  b.push_back(static_cast<uint8_t>(sport >> 8));
  b.push_back(static_cast<uint8_t>(sport));
  b.push_back(static_cast<uint8_t>(dport >> 8));
  b.push_back(static_cast<uint8_t>(dport));
  b.resize(b.size() + 16, 0);
  return b;
}

Bytes arpFrame(std::vector<uint8_t> sender, std::vector<uint8_t> target) {
  Bytes b(12, 0xff);
  b.push_back(0x08);
  b.push_back(0x06);
  const Bytes head = {0, 1, 8, 0, 6, 4, 0, 1, 2, 2, 2, 2, 2, 2};
  b.insert(b.end(), head.begin(), head.end());
  b.insert(b.end(), sender.begin(), sender.end());
  b.resize(b.size() + 6, 0);
  b.insert(b.end(), target.begin(), target.end());
  return b;
}

void writePcap(const std::string& path, const std::vector<Bytes>& frames) {
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  ASSERT_NE(dead, nullptr);
  pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
  ASSERT_NE(d, nullptr) << pcap_geterr(dead);
  long sec = 1795687200;  // 2026-11-26T10:00:00Z
  for (const auto& f : frames) {
    struct pcap_pkthdr h {};
    h.ts.tv_sec = sec++;
    h.ts.tv_usec = 250000;
    h.caplen = h.len = static_cast<bpf_u_int32>(f.size());
    pcap_dump(reinterpret_cast<u_char*>(d), &h, f.data());
  }
  pcap_dump_close(d);
  pcap_close(dead);
}

TEST_F(CliTest, AuditFindsExactlyTheBreachingPackets) {
  const std::string capture = (dir_ / "intranet.pcap").string();
  writePcap(capture,
            {
                ipv4Frame({10, 10, 1, 5}, {10, 10, 2, 7}, 6, 40000, 445),     // 1 clean
                ipv4Frame({10, 20, 1, 9}, {10, 10, 1, 5}, 6, 40001, 22),      // 2 extranet source
                arpFrame({10, 10, 0, 1}, {10, 10, 0, 9}),                     // 3 clean ARP
                arpFrame({172, 16, 30, 1}, {10, 10, 0, 1}),                   // 4 portal sender
                ipv4Frame({10, 10, 1, 5}, {224, 0, 0, 251}, 17, 5353, 5353),  // 5 mDNS: local
                ipv4Frame({10, 10, 1, 5}, {8, 8, 8, 8}, 17, 40002, 53),  // 6 Internet destination
            });
  Result r = run({"audit", kExample, "--segment", "intranet", capture});
  EXPECT_EQ(r.exit, 1) << r.err;
  EXPECT_EQ(r.out,
            "2 2026-11-26T10:00:01.250000Z isolation-breach ipv4 tcp 10.20.1.9:40001 (extranet) -> "
            "10.10.1.5:22 (intranet)\n"
            "4 2026-11-26T10:00:03.250000Z isolation-breach arp 172.16.30.1 (portal) -> 10.10.0.1 "
            "(intranet)\n"
            "6 2026-11-26T10:00:05.250000Z isolation-breach ipv4 udp 10.10.1.5:40002 (intranet) -> "
            "8.8.8.8:53 "
            "(internet)\n");
  EXPECT_EQ(
      r.err,
      "audit of " + capture +
          " on the intranet segment: 6 packets, 3 isolation breaches, 0 malformed, 0 not IP\n");

  r = run({"audit", kExample, "--segment", "intranet", capture, "--json"});
  EXPECT_EQ(r.exit, 1);
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["findings"].size(), 3u);
  EXPECT_EQ(j["findings"][0]["packet"], 2);
  EXPECT_EQ(j["findings"][0]["breach_zone"], "extranet");
  EXPECT_EQ(j["findings"][1]["header"], "arp");
  EXPECT_EQ(j["findings"][2]["by"], "dst");

  // The same capture seen from the portal segment: every packet carries an
  // intranet address, and the portal is physically isolated from the intranet.
  r = run({"audit", kExample, "--segment", "portal", capture});
  EXPECT_EQ(r.exit, 1);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 6);
}

TEST_F(CliTest, AuditCleanCaptureAndErrors) {
  const std::string capture = (dir_ / "clean.pcap").string();
  writePcap(capture, {ipv4Frame({10, 10, 1, 5}, {10, 10, 2, 7}, 6, 40000, 445)});
  Result r = run({"audit", kExample, "--segment", "intranet", capture});
  EXPECT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(r.out, "");
  r = run({"audit", kExample, "--segment", "dmz", capture});
  EXPECT_EQ(r.exit, 2);
  EXPECT_EQ(r.err,
            "isogate-policy audit: --segment: no zone 'dmz' in the policy (zones: intranet, "
            "extranet, portal, "
            "internet)\nTry 'isogate-policy audit --help'.\n");
  r = run({"audit", kExample, capture});
  EXPECT_EQ(r.exit, 2);
  EXPECT_EQ(r.err,
            "isogate-policy audit: missing --segment ZONE\nTry 'isogate-policy audit --help'.\n");
  const std::string garbage = write("garbage.pcap", "this is not a capture file at all");
  r = run({"audit", kExample, "--segment", "intranet", garbage});
  EXPECT_EQ(r.exit, 2);
  EXPECT_EQ(r.err.rfind("isogate-policy audit: cannot read " + garbage + ": ", 0), 0u) << r.err;
}

}  // namespace
