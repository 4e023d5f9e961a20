// A minimal HTTP/1.0 responder for GET /metrics on a loopback port (SPEC §2
// `metrics`). Its own thread, one request per connection, bounded request size
// and read time, so a stuck scraper cannot hold the daemon.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

namespace isogate::mgmt {

class MetricsHttp {
 public:
  using Render = std::function<std::string()>;

  explicit MetricsHttp(Render render);
  ~MetricsHttp();
  MetricsHttp(const MetricsHttp&) = delete;
  MetricsHttp& operator=(const MetricsHttp&) = delete;

  // host "127.0.0.1" / "::1"; port 0 picks one (see port()).
  bool start(const std::string& host, uint16_t port, std::string& error);
  void stop();
  uint16_t port() const { return port_; }

  // The response for one raw request (exposed for tests).
  std::string respond(const std::string& request) const;

 private:
  void run();
  void serve(int fd);

  Render render_;
  int listenFd_ = -1;
  int stopFd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace isogate::mgmt
