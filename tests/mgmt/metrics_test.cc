// Prometheus text output and the HTTP/1.0 responder (over a real loopback socket).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mgmt/metrics_http.h"
#include "mgmt/metrics_text.h"

namespace isogate::mgmt {
namespace {

MetricsSnapshot snapshot() {
  MetricsSnapshot s;
  s.pipeline.eventsIn = {{"physical-isolation", 10000}};
  s.pipeline.messagesOut = {{"physical-isolation", 3}};
  s.pipeline.policyDigest = "sha256:abc";
  s.pipeline.policyName = "n\"x";
  DestinationStats d;
  d.url = "udp://127.0.0.1:514";
  d.sent = 3;
  d.dropped = 1;
  s.pipeline.destinations = {d};
  s.intake.malformed = 2;
  GatewayStats g;
  g.pairs = {{"internet", "portal", "web", "allow", 7, 900},
             {"extranet", "portal", "", "deny", 1, 60}};
  g.drops = {{"no_route", 4}};
  s.gateway = g;
  return s;
}

TEST(Metrics, RendersFamiliesAndSamples) {
  std::string t = renderMetrics(snapshot());
  EXPECT_NE(t.find("isogate_events_total{type=\"physical-isolation\"} 10000\n"), std::string::npos);
  EXPECT_NE(t.find("isogate_event_messages_total{type=\"physical-isolation\"} 3\n"),
            std::string::npos);
  EXPECT_NE(t.find("isogate_policy_info{digest=\"sha256:abc\",name=\"n\\\"x\"} 1\n"),
            std::string::npos);
  EXPECT_NE(t.find("isogate_syslog_dropped_total{destination=\"udp://127.0.0.1:514\"} 1\n"),
            std::string::npos);
  EXPECT_NE(t.find("isogate_event_drops_total{stage=\"intake-malformed\"} 2\n"), std::string::npos);
  EXPECT_NE(t.find("isogate_packets_total{from_zone=\"internet\",to_zone=\"portal\",rule=\"web\","
                   "verdict=\"allow\"} 7\n"),
            std::string::npos);
  EXPECT_NE(t.find("isogate_bytes_total{from_zone=\"extranet\",to_zone=\"portal\",rule=\"\","
                   "verdict=\"deny\"} 60\n"),
            std::string::npos);
  EXPECT_NE(t.find("isogate_drops_total{reason=\"no_route\"} 4\n"), std::string::npos);
  // Each family's samples directly follow its TYPE line.
  auto type = t.find("# TYPE isogate_bytes_total counter\n");
  auto sample = t.find("isogate_bytes_total{");
  auto drops = t.find("# HELP isogate_drops_total");
  EXPECT_LT(type, sample);
  EXPECT_LT(sample, drops);
  EXPECT_LT(t.find("isogate_packets_total{"), t.find("# HELP isogate_bytes_total"));
}

TEST(MetricsHttp, Responds) {
  MetricsHttp http([] { return std::string("x 1\n"); });
  EXPECT_EQ(http.respond("GET /metrics HTTP/1.0\r\n\r\n"),
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "Content-Length: 4\r\nConnection: close\r\n\r\nx 1\n");
  EXPECT_EQ(http.respond("GET /other HTTP/1.1\r\n\r\n").substr(0, 22), "HTTP/1.0 404 Not Found");
  EXPECT_EQ(http.respond("POST /metrics HTTP/1.1\r\n\r\n").substr(0, 31),
            "HTTP/1.0 405 Method Not Allowed");
  EXPECT_EQ(http.respond("garbage").substr(0, 24), "HTTP/1.0 400 Bad Request");
  EXPECT_EQ(http.respond("").substr(0, 24), "HTTP/1.0 400 Bad Request");
}

TEST(MetricsHttp, ServesOverLoopback) {
  MetricsHttp http([] { return renderMetrics(snapshot()); });
  std::string err;
  ASSERT_TRUE(http.start("127.0.0.1", 0, err)) << err;
  ASSERT_NE(http.port(), 0);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(http.port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  std::string req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) resp.append(buf, static_cast<size_t>(n));
  ::close(fd);
  EXPECT_EQ(resp.rfind("HTTP/1.0 200 OK\r\n", 0), 0u);
  EXPECT_NE(resp.find("isogate_drops_total{reason=\"no_route\"} 4\n"), std::string::npos);
  http.stop();
}

}  // namespace
}  // namespace isogate::mgmt
