// SyslogDestination. Sockets are non-blocking with poll() for every wait so a
// hung receiver costs at most ioTimeout per attempt; the sender thread is the
// only one that touches the socket, the queue is shared under mu_.
#include "mgmt/syslog_destination.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

namespace isogate::mgmt {
namespace {

int msLeft(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

bool waitFor(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, msLeft(deadline));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace

SyslogDestination::SyslogDestination(SyslogUrl url, DestinationLimits limits, LossCallback onLoss)
    : url_(std::move(url)), limits_(limits), onLoss_(std::move(onLoss)) {
  stream_ = url_.scheme == SyslogUrl::Scheme::Tcp;
}

SyslogDestination::~SyslogDestination() { stop(); }

void SyslogDestination::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void SyslogDestination::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  closeSocket();
}

bool SyslogDestination::enqueue(std::string message) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= limits_.maxMessages || queuedBytes_ + message.size() > limits_.maxBytes) {
      ++dropped_;
      ++unreported_;
      return false;
    }
    queuedBytes_ += message.size();
    queue_.push_back(std::move(message));
  }
  cv_.notify_one();
  return true;
}

DestinationStats SyslogDestination::stats() const {
  std::lock_guard lock(mu_);
  DestinationStats s;
  s.url = url_.text;
  s.connected = connected_;
  s.sent = sent_;
  s.dropped = dropped_;
  s.reconnects = reconnects_;
  s.queued = queue_.size();
  s.queuedBytes = queuedBytes_;
  s.lastError = lastError_;
  return s;
}

void SyslogDestination::closeSocket() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool SyslogDestination::connectNow(std::string& error) {
  closeSocket();
  auto deadline = std::chrono::steady_clock::now() + limits_.ioTimeout;
  if (url_.scheme == SyslogUrl::Scheme::Unix) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, url_.path.c_str(), url_.path.size() + 1);
    for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
      int fd = ::socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) break;
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
        fd_ = fd;
        stream_ = type == SOCK_STREAM;
        return true;
      }
      int err = errno;
      ::close(fd);
      // A stream listener at the path answers a datagram connect with EPROTOTYPE.
      if (!(type == SOCK_DGRAM && err == EPROTOTYPE)) {
        error = "connect " + url_.path + ": " + std::strerror(err);
        return false;
      }
    }
    error = "connect " + url_.path + ": " + std::strerror(errno);
    return false;
  }
  addrinfo hints{};
  hints.ai_socktype = url_.scheme == SyslogUrl::Scheme::Tcp ? SOCK_STREAM : SOCK_DGRAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* res = nullptr;
  int gai = ::getaddrinfo(url_.host.c_str(), std::to_string(url_.port).c_str(), &hints, &res);
  if (gai != 0) {
    error = "resolve " + url_.host + ": " + ::gai_strerror(gai);
    return false;
  }
  error = "connect " + url_.text + ": no address";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int r = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS && waitFor(fd, POLLOUT, deadline)) {
      int soerr = 0;
      socklen_t len = sizeof(soerr);
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
      r = soerr == 0 ? 0 : -1;
      errno = soerr ? soerr : ETIMEDOUT;
    } else if (r != 0 && errno == EINPROGRESS) {
      errno = ETIMEDOUT;
    }
    if (r == 0) {
      fd_ = fd;
      ::freeaddrinfo(res);
      return true;
    }
    error = "connect " + url_.text + ": " + std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return false;
}

bool SyslogDestination::peerClosed() {
  // A stream whose peer has gone still accepts one write into the kernel buffer,
  // and that message would vanish. Look for the FIN/RST before writing.
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLHUP | POLLERR)) return true;
  char buf[512];
  ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);  // receivers do not talk back; discard
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

bool SyslogDestination::sendNow(const std::string& message, std::string& error) {
  auto deadline = std::chrono::steady_clock::now() + limits_.ioTimeout;
  if (!stream_) {
    for (;;) {
      ssize_t n = ::send(fd_, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0) return true;
      if ((errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) &&
          waitFor(fd_, POLLOUT, deadline))
        continue;
      error = "send " + url_.text + ": " + std::strerror(errno == EAGAIN ? ETIMEDOUT : errno);
      return false;
    }
  }
  if (peerClosed()) {
    error = "send " + url_.text + ": connection closed by peer";
    return false;
  }
  std::string frame = std::to_string(message.size()) + " " + message;  // RFC 6587 §3.4.1
  size_t off = 0;
  while (off < frame.size()) {
    ssize_t n = ::send(fd_, frame.data() + off, frame.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) &&
        waitFor(fd_, POLLOUT, deadline))
      continue;
    // A half-written frame is lost with the connection; the receiver discards it.
    error =
        "send " + url_.text + ": " + std::strerror(n < 0 && errno != EAGAIN ? errno : ETIMEDOUT);
    return false;
  }
  return true;
}

void SyslogDestination::run() {
  auto backoff = limits_.backoffInitial;
  std::optional<std::chrono::steady_clock::time_point> stopDeadline;
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) {
      if (!stopDeadline) stopDeadline = std::chrono::steady_clock::now() + limits_.drainOnStop;
      if (queue_.empty() || fd_ < 0 || std::chrono::steady_clock::now() >= *stopDeadline) break;
    }
    if (fd_ < 0) {
      lock.unlock();
      std::string error;
      bool ok = connectNow(error);
      lock.lock();
      if (!ok) {
        lastError_ = error;
        connected_ = false;
        cv_.wait_for(lock, backoff, [&] { return stopping_; });
        backoff = std::min(backoff * 2, limits_.backoffMax);
        continue;
      }
      ++reconnects_;
      connected_ = true;
    }
    std::string message = queue_.front();
    lock.unlock();
    std::string error;
    bool ok = sendNow(message, error);
    uint64_t lost = 0;
    if (!ok) closeSocket();
    lock.lock();
    if (!ok) {
      // The message stays queued; reconnect after a pause so a receiver that
      // refuses every message (UDP port unreachable) does not spin this thread.
      lastError_ = error;
      connected_ = false;
      cv_.wait_for(lock, backoff, [&] { return stopping_; });
      backoff = std::min(backoff * 2, limits_.backoffMax);
      continue;
    }
    backoff = limits_.backoffInitial;
    queuedBytes_ -= queue_.front().size();
    queue_.pop_front();
    ++sent_;
    std::swap(lost, unreported_);
    if (lost > 0 && onLoss_) {
      lock.unlock();
      onLoss_(url_.text, lost);
      lock.lock();
    }
  }
  connected_ = false;
}

}  // namespace isogate::mgmt
