// isogate-mgmtd end to end with a real rsyslogd: the test starts rsyslogd with a
// private config (UDP and TCP inputs on 127.0.0.1, ephemeral high ports, files
// in a temp dir), starts isogate-mgmtd pointed at both, sends events through the
// gateway's EventSender, and checks rsyslog received exactly the expected
// RFC 5424 messages (raw bytes) and parsed them as RFC 5424 (MSGID, SD).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mgmt/event_sender.h"
#include "mgmt/rfc5424.h"
#include "policy/pipeline.h"

namespace isogate::mgmt {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;

uint16_t freePort(int type) {
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& logFile) {
  pid_t pid = ::fork();
  if (pid == 0) {
    FILE* f = std::freopen(logFile.c_str(), "w", stderr);
    (void)f;
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

bool stop(pid_t pid) {
  if (pid <= 0) return false;
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::vector<std::string> lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> v;
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

// Polls a condition; the bound only ends a broken run, it is not what is tested.
template <class Pred>
bool eventually(Pred pred, int seconds = 30) {
  for (int i = 0; i < seconds * 100; ++i) {
    if (pred()) return true;
    ::usleep(10000);
  }
  return pred();
}

bool tcpListening(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  ::close(fd);
  return ok;
}

// GET on the daemon's metrics port (loopback); empty on any failure.
std::string httpGet(uint16_t port, const std::string& target) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
    std::string req = "GET " + target + " HTTP/1.0\r\n\r\n";
    ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    char buf[8192];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) reply.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return reply;
}

class MgmtRsyslog : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("isogate-rsyslog-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "state");
  }
  void TearDown() override {
    stop(mgmtd_);
    stop(rsyslog_);
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
  pid_t rsyslog_ = -1, mgmtd_ = -1;
};

TEST_F(MgmtRsyslog, ReceivesExactlyTheExpectedRfc5424Messages) {
  uint16_t udp = freePort(SOCK_DGRAM), tcp = freePort(SOCK_STREAM);
  std::ofstream(path("rsyslog.conf"))
      << "global(workDirectory=\"" << dir_.string() << "\")\n"
      << "module(load=\"imudp\")\nmodule(load=\"imtcp\")\n"
      << "template(name=\"raw\" type=\"string\" string=\"%rawmsg%\\n\")\n"
      << "template(name=\"parsed\" type=\"string\" string=\"%pri%|%hostname%|%app-name%|%procid%|"
         "%msgid%|%structured-data%|%msg%\\n\")\n"
      << "ruleset(name=\"udp\") {\n  action(type=\"omfile\" file=\"" << path("udp.raw")
      << "\" template=\"raw\")\n  action(type=\"omfile\" file=\"" << path("udp.parsed")
      << "\" template=\"parsed\")\n}\n"
      << "ruleset(name=\"tcp\") {\n  action(type=\"omfile\" file=\"" << path("tcp.raw")
      << "\" template=\"raw\")\n}\n"
      << "input(type=\"imudp\" address=\"127.0.0.1\" port=\"" << udp << "\" ruleset=\"udp\")\n"
      << "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" << tcp << "\" ruleset=\"tcp\")\n";
  rsyslog_ = spawn({ISOGATE_RSYSLOGD, "-n", "-f", path("rsyslog.conf"), "-i", path("rsyslog.pid")},
                   path("rsyslog.log"));
  ASSERT_TRUE(eventually([&] { return tcpListening(tcp); })) << "rsyslogd did not start";

  std::string policyFile = std::string(ISOGATE_SOURCE_DIR) + "/configs/tianjin-egov-boundary.yaml";
  auto build = policy::buildPolicyFile(policyFile);
  ASSERT_TRUE(build.ok());
  std::ofstream(path("gw.yaml"))
      << "version: 1\nname: gw-e2e-01\npolicy: " << policyFile
      << "\nbackend: nftables\ninterfaces:\n"
      << "  - name: ext0\n    zone: extranet\n    address: [10.20.0.1/16]\n"
      << "events:\n  syslog: [\"udp://127.0.0.1:" << udp << "\", \"tcp://127.0.0.1:" << tcp
      << "\"]\n"
      << "  aggregate_interval: 1\n"
      << "control:\n  socket: " << path("control.sock") << "\n";
  std::string events = path("events.sock");
  mgmtd_ = spawn({ISOGATE_MGMTD, "--config", path("gw.yaml"), "--event-socket", events,
                  "--state-dir", path("state"), "--audit-log", path("audit.log"),
                  "--gateway-pidfile", path("gw.pid"), "--no-sensors"},
                 path("mgmtd.log"));
  ASSERT_TRUE(eventually([&] { return fs::exists(path("control.sock")); }))
      << "mgmtd did not start";

  Event v;
  v.type = EventType::PhysicalIsolation;
  v.time = system_clock::time_point(milliseconds(1795687200123));
  v.fields = {{"from_zone", "intranet"}, {"to_zone", "extranet"},
              {"src", "10.10.1.5"},      {"dst", "10.20.1.9"},
              {"proto", "tcp"},          {"sport", "40000"},
              {"dport", "445"},          {"rule", ""}};
  v.message = "blocked intranet -> extranet";
  Event l;
  l.type = EventType::LogicalIsolation;
  l.time = v.time;
  l.fields = {{"from_zone", "extranet"},  {"to_zone", "portal"}, {"src", "10.20.5.1"},
              {"dst", "172.16.30.10"},    {"proto", "udp"},      {"dport", "53"},
              {"rule", "odd \"name] \\x"}};
  l.message = "denied extranet -> portal";
  EventSender sender(events);
  ASSERT_TRUE(sender.send(v));
  ASSERT_TRUE(sender.send(l));
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(sender.send(v));

  SyslogIdentity id;
  id.hostname = "gw-e2e-01";
  id.policyDigest = build.compiled->digest;
  id.policyName = build.compiled->name;
  Event agg = v;
  agg.count = 9;
  std::vector<std::string> expected = {encodeRfc5424(v, id), encodeRfc5424(l, id),
                                       encodeRfc5424(agg, id)};
  ASSERT_TRUE(eventually([&] {
    return lines(path("udp.raw")).size() >= 3 && lines(path("tcp.raw")).size() >= 3;
  })) << "udp: "
      << lines(path("udp.raw")).size() << " tcp: " << lines(path("tcp.raw")).size();
  EXPECT_TRUE(stop(mgmtd_));
  mgmtd_ = -1;
  stop(rsyslog_);  // flushes and closes the files
  rsyslog_ = -1;
  EXPECT_EQ(lines(path("udp.raw")), expected);
  EXPECT_EQ(lines(path("tcp.raw")), expected);

  auto parsed = lines(path("udp.parsed"));
  ASSERT_EQ(parsed.size(), 3u);
  EXPECT_EQ(parsed[0],
            "162|gw-e2e-01|isogate|-|VIOLATION|[isogate@32473 type=\"physical-isolation\" "
            "from_zone=\"intranet\" to_zone=\"extranet\" src=\"10.10.1.5\" dst=\"10.20.1.9\" "
            "proto=\"tcp\" sport=\"40000\" dport=\"445\" rule=\"\" count=\"1\" policy=\"" +
                build.compiled->digest + "\" policy_name=\"" + build.compiled->name +
                "\"]|blocked intranet -> extranet");
  EXPECT_NE(parsed[1].find("|VIOLATION|[isogate@32473 type=\"logical-isolation\" "),
            std::string::npos);
  EXPECT_NE(parsed[1].find(" rule=\"odd \\\"name\\] \\\\x\" count=\"1\""), std::string::npos)
      << parsed[1];
  EXPECT_EQ(parsed[1].substr(0, 4), "164|");
  EXPECT_NE(parsed[2].find(" count=\"9\" "), std::string::npos);
}

// rsyslog stopped mid-run: what the bounded buffer holds arrives after it
// returns, what did not fit is counted and reported as a `fault` event.
TEST_F(MgmtRsyslog, BuffersWhileRsyslogIsDownAndReportsTheLoss) {
  uint16_t tcp = freePort(SOCK_STREAM), metricsPort = freePort(SOCK_STREAM);
  std::ofstream(path("rsyslog.conf"))
      << "global(workDirectory=\"" << dir_.string() << "\")\n"
      << "module(load=\"imtcp\")\n"
      << "template(name=\"raw\" type=\"string\" string=\"%rawmsg%\\n\")\n"
      << "ruleset(name=\"tcp\") {\n  action(type=\"omfile\" file=\"" << path("tcp.raw")
      << "\" template=\"raw\")\n}\n"
      << "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" << tcp << "\" ruleset=\"tcp\")\n";
  auto startRsyslog = [&] {
    rsyslog_ =
        spawn({ISOGATE_RSYSLOGD, "-n", "-f", path("rsyslog.conf"), "-i", path("rsyslog.pid")},
              path("rsyslog.log"));
    return eventually([&] { return tcpListening(tcp); });
  };
  ASSERT_TRUE(startRsyslog());
  std::string policyFile = std::string(ISOGATE_SOURCE_DIR) + "/configs/tianjin-egov-boundary.yaml";
  std::ofstream(path("gw.yaml"))
      << "version: 1\nname: gw-e2e-02\npolicy: " << policyFile
      << "\nbackend: nftables\ninterfaces:\n"
      << "  - name: ext0\n    zone: extranet\n    address: [10.20.0.1/16]\n"
      << "events:\n  syslog: [\"tcp://127.0.0.1:" << tcp << "\"]\n"
      << "metrics: 127.0.0.1:" << metricsPort << "\n"
      << "control:\n  socket: " << path("control.sock") << "\n";
  std::string events = path("events.sock");
  mgmtd_ = spawn({ISOGATE_MGMTD, "--config", path("gw.yaml"), "--event-socket", events,
                  "--state-dir", path("state"), "--audit-log", path("audit.log"),
                  "--gateway-pidfile", path("gw.pid"), "--no-sensors", "--syslog-queue", "3"},
                 path("mgmtd.log"));
  ASSERT_TRUE(eventually([&] { return fs::exists(path("control.sock")); }));
  EventSender sender(events);
  auto hit = [](int host) {
    Event e;
    e.type = EventType::SpoofedSource;
    e.time = system_clock::time_point(milliseconds(1795687200000));
    e.fields = {{"from_zone", "portal"},
                {"to_zone", "extranet"},
                {"src", "10.10.0." + std::to_string(host)},
                {"dst", "10.20.0.9"}};
    return e;
  };
  ASSERT_TRUE(sender.send(hit(1)));
  ASSERT_TRUE(eventually([&] { return lines(path("tcp.raw")).size() == 1; }));
  stop(rsyslog_);
  rsyslog_ = -1;
  for (int h = 2; h <= 6; ++h) ASSERT_TRUE(sender.send(hit(h)));  // 3 fit, 2 are lost
  // Wait until the daemon has queued 3 and dropped 2. Asked on the metrics port:
  // a control request would itself be audited and queued as an event.
  std::string dest = "destination=\"tcp://127.0.0.1:" + std::to_string(tcp) + "\"";
  ASSERT_TRUE(eventually([&] {
    std::string m = httpGet(metricsPort, "/metrics");
    return m.find("isogate_syslog_dropped_total{" + dest + "} 2\n") != std::string::npos &&
           m.find("isogate_syslog_queued{" + dest + "} 3\n") != std::string::npos;
  }));
  ASSERT_TRUE(startRsyslog());
  ASSERT_TRUE(eventually([&] { return lines(path("tcp.raw")).size() >= 5; }, 60))
      << lines(path("tcp.raw")).size();
  EXPECT_TRUE(stop(mgmtd_));
  mgmtd_ = -1;
  stop(rsyslog_);
  rsyslog_ = -1;
  auto got = lines(path("tcp.raw"));
  ASSERT_EQ(got.size(), 5u);
  for (int i = 0; i < 4; ++i)
    EXPECT_NE(got[i].find("src=\"10.10.0." + std::to_string(i + 1) + "\""), std::string::npos)
        << got[i];
  EXPECT_NE(got[4].find(" FAULT [isogate@32473 type=\"fault\" component=\"syslog\" "
                        "destination=\"tcp://127.0.0.1:" +
                        std::to_string(tcp) + "\" lost=\"2\" count=\"1\""),
            std::string::npos)
      << got[4];
  EXPECT_EQ(got[4].substr(0, 6), "<163>1");
}

}  // namespace
}  // namespace isogate::mgmt
