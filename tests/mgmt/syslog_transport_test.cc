// Syslog transports against local receivers on 127.0.0.1 (ephemeral ports) and
// a unix socket: exact bytes, RFC 6587 framing, buffering while the receiver is
// down, and the loss report when it returns.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>

#include "mgmt/syslog_destination.h"

namespace isogate::mgmt {
namespace {

using namespace std::chrono;

DestinationLimits fastLimits() {
  DestinationLimits l;
  l.backoffInitial = milliseconds(5);
  l.backoffMax = milliseconds(50);
  l.ioTimeout = milliseconds(2000);
  return l;
}

int boundSocket(int type, uint16_t port = 0) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return -1;
  if (type == SOCK_STREAM) ::listen(fd, 4);
  return fd;
}

uint16_t portOf(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// Waits (generously; the outcome, not the time, is what is tested) for readability.
bool readable(int fd, int ms = 10000) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) > 0;
}

std::string recvDatagram(int fd) {
  if (!readable(fd)) return "<timeout>";
  char buf[4096];
  ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
  return n < 0 ? "<error>" : std::string(buf, static_cast<size_t>(n));
}

// Reads RFC 6587 octet-counted frames from a stream until `count` arrived.
std::vector<std::string> recvFrames(int fd, size_t count) {
  std::vector<std::string> out;
  std::string buf;
  while (out.size() < count) {
    for (;;) {  // parse what we have
      auto sp = buf.find(' ');
      if (sp == std::string::npos) break;
      size_t len = std::stoul(buf.substr(0, sp));
      if (buf.size() < sp + 1 + len) break;
      out.push_back(buf.substr(sp + 1, len));
      buf.erase(0, sp + 1 + len);
    }
    if (out.size() >= count) break;
    if (!readable(fd)) break;
    char tmp[4096];
    ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
    if (n <= 0) break;
    buf.append(tmp, static_cast<size_t>(n));
  }
  return out;
}

// Polls a condition; the bound is generous and only there to end a broken test.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 10000; ++i) {
    if (pred()) return true;
    ::usleep(1000);
  }
  return pred();
}

SyslogUrl url(const std::string& text) {
  std::string err;
  auto u = parseSyslogUrl(text, err);
  EXPECT_TRUE(u) << err;
  return *u;
}

TEST(SyslogUrl, Parses) {
  std::string err;
  auto u = parseSyslogUrl("udp://127.0.0.1:5514", err);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, SyslogUrl::Scheme::Udp);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 5514);
  u = parseSyslogUrl("tcp://[::1]", err);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 514);
  u = parseSyslogUrl("unix:///dev/log", err);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->path, "/dev/log");
  EXPECT_FALSE(parseSyslogUrl("http://x", err));
  EXPECT_EQ(err, "syslog destination 'http://x': unknown scheme 'http' (udp, tcp or unix)");
  EXPECT_FALSE(parseSyslogUrl("udp://host:70000", err));
  EXPECT_EQ(err, "syslog destination 'udp://host:70000': invalid port '70000'");
  EXPECT_FALSE(parseSyslogUrl("unix://relative", err));
  EXPECT_FALSE(parseSyslogUrl("tcp://:514", err));
  EXPECT_EQ(err, "syslog destination 'tcp://:514': missing or invalid host");
  EXPECT_FALSE(parseSyslogUrl("127.0.0.1:514", err));
}

TEST(SyslogTransport, UdpDeliversExactMessages) {
  int rx = boundSocket(SOCK_DGRAM);
  ASSERT_GE(rx, 0);
  SyslogDestination d(url("udp://127.0.0.1:" + std::to_string(portOf(rx))), fastLimits(), {});
  d.start();
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(d.enqueue("<165>1 - - isogate - AUDIT - m" + std::to_string(i)));
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(recvDatagram(rx), "<165>1 - - isogate - AUDIT - m" + std::to_string(i));
  d.stop();
  EXPECT_EQ(d.stats().sent, 3u);
  ::close(rx);
}

TEST(SyslogTransport, TcpUsesOctetCounting) {
  int ls = boundSocket(SOCK_STREAM);
  ASSERT_GE(ls, 0);
  SyslogDestination d(url("tcp://127.0.0.1:" + std::to_string(portOf(ls))), fastLimits(), {});
  d.start();
  d.enqueue("hello world");
  d.enqueue("second ] message");
  ASSERT_TRUE(readable(ls));
  int c = ::accept(ls, nullptr, nullptr);
  char buf[128];
  std::string got;
  while (got.size() < std::strlen("11 hello world16 second ] message") && readable(c)) {
    ssize_t n = ::recv(c, buf, sizeof(buf), 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(got, "11 hello world16 second ] message");
  d.stop();
  ::close(c);
  ::close(ls);
}

TEST(SyslogTransport, BuffersWhileDownThenReportsLoss) {
  int ls = boundSocket(SOCK_STREAM);
  ASSERT_GE(ls, 0);
  uint16_t port = portOf(ls);
  std::mutex mu;
  std::vector<uint64_t> losses;
  DestinationLimits limits = fastLimits();
  limits.maxMessages = 5;
  SyslogDestination d(url("tcp://127.0.0.1:" + std::to_string(port)), limits,
                      [&](const std::string&, uint64_t lost) {
                        std::lock_guard l(mu);
                        losses.push_back(lost);
                      });
  d.start();
  d.enqueue("before");
  ASSERT_TRUE(readable(ls));
  int c = ::accept(ls, nullptr, nullptr);
  ASSERT_EQ(recvFrames(c, 1), std::vector<std::string>{"before"});
  // The sender takes a message off its queue only after send() returned.
  ASSERT_TRUE(eventually([&] { return d.stats().queued == 0; }));
  // Receiver goes away completely.
  ::close(c);
  ::close(ls);
  int accepted = 0;
  for (int i = 0; i < 8; ++i) accepted += d.enqueue("down" + std::to_string(i)) ? 1 : 0;
  EXPECT_EQ(accepted, 5);
  EXPECT_EQ(d.stats().dropped, 3u);
  // Receiver returns on the same port: the 5 buffered arrive in order, the loss is reported.
  ls = boundSocket(SOCK_STREAM, port);
  ASSERT_GE(ls, 0);
  ASSERT_TRUE(readable(ls));
  c = ::accept(ls, nullptr, nullptr);
  auto frames = recvFrames(c, 5);
  EXPECT_EQ(frames, (std::vector<std::string>{"down0", "down1", "down2", "down3", "down4"}));
  d.stop();  // joins the sender thread: the callback has run by now
  {
    std::lock_guard l(mu);
    EXPECT_EQ(losses, std::vector<uint64_t>{3});
  }
  auto s = d.stats();
  EXPECT_EQ(s.sent, 6u);
  EXPECT_EQ(s.queued, 0u);
  EXPECT_GE(s.reconnects, 2u);
  ::close(c);
  ::close(ls);
}

TEST(SyslogTransport, SlowDestinationDoesNotBlockEnqueue) {
  // A TCP listener that never accepts nor reads: enqueue still returns at once, and
  // beyond the byte bound messages are dropped and counted.
  int ls = boundSocket(SOCK_STREAM);
  DestinationLimits limits = fastLimits();
  limits.maxBytes = 1000;
  SyslogDestination d(url("tcp://127.0.0.1:" + std::to_string(portOf(ls))), limits, {});
  d.start();
  std::string big(400, 'x');
  int accepted = 0;
  for (int i = 0; i < 100000; ++i)
    accepted += d.enqueue(big) ? 1 : 0;  // 40 MB: more than any socket buffer
  auto s = d.stats();
  EXPECT_EQ(s.dropped + static_cast<uint64_t>(accepted), 100000u);
  EXPECT_LE(s.queuedBytes, 1000u);
  EXPECT_GT(s.dropped, 0u);
  ::close(ls);
  d.stop();
}

TEST(SyslogTransport, UnixDatagramAndStreamFallback) {
  std::string dir = ::testing::TempDir();
  std::string dgramPath = dir + "/isogate-dgram-" + std::to_string(::getpid());
  std::string streamPath = dir + "/isogate-stream-" + std::to_string(::getpid());
  auto bindUnix = [](int type, const std::string& path) {
    ::unlink(path.c_str());
    int fd = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path.c_str());
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    if (type == SOCK_STREAM) ::listen(fd, 2);
    return fd;
  };
  int rx = bindUnix(SOCK_DGRAM, dgramPath);
  SyslogDestination d1(url("unix://" + dgramPath), fastLimits(), {});
  d1.start();
  d1.enqueue("via datagram");
  EXPECT_EQ(recvDatagram(rx), "via datagram");
  d1.stop();
  int ls = bindUnix(SOCK_STREAM, streamPath);
  SyslogDestination d2(url("unix://" + streamPath), fastLimits(), {});
  d2.start();
  d2.enqueue("via stream");
  ASSERT_TRUE(readable(ls));
  int c = ::accept(ls, nullptr, nullptr);
  EXPECT_EQ(recvFrames(c, 1), std::vector<std::string>{"via stream"});
  d2.stop();
  ::close(c);
  ::close(ls);
  ::close(rx);
  ::unlink(dgramPath.c_str());
  ::unlink(streamPath.c_str());
}

}  // namespace
}  // namespace isogate::mgmt
