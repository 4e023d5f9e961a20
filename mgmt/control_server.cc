// ControlServer. A request line longer than the bound gets an error and the
// connection is closed: a client that does not speak the protocol is not
// given a second chance to fill memory.
#include "mgmt/control_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mgmt/control_protocol.h"

namespace isogate::mgmt {

ControlServer::ControlServer(Handler handler) : handler_(std::move(handler)) {}

ControlServer::~ControlServer() {
  for (auto& [fd, c] : clients_) ::close(fd);
  if (listenFd_ >= 0) {
    ::close(listenFd_);
    ::unlink(path_.c_str());
  }
}

bool ControlServer::open(const std::string& path, unsigned mode, int64_t gid, std::string& error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    error = "control socket path '" + path + "' is empty or too long";
    return false;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      error = "cannot bind " + path + ": exists and is not a socket";
      return false;
    }
    ::unlink(path.c_str());
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  // Created with no access at all, opened up only after chown/chmod: no window
  // in which the socket is reachable with the default umask.
  mode_t old = ::umask(0777);
  int rc = fd < 0 ? -1 : ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int err = errno;
  ::umask(old);
  if (rc != 0) {
    error = "cannot bind " + path + ": " + std::strerror(err);
    if (fd >= 0) ::close(fd);
    return false;
  }
  if ((gid >= 0 && ::chown(path.c_str(), static_cast<uid_t>(-1), static_cast<gid_t>(gid)) != 0) ||
      ::chmod(path.c_str(), mode) != 0 || ::listen(fd, 16) != 0) {
    error = "cannot set up " + path + ": " + std::strerror(errno);
    ::close(fd);
    ::unlink(path.c_str());
    return false;
  }
  listenFd_ = fd;
  path_ = path;
  return true;
}

void ControlServer::addPollFds(std::vector<pollfd>& fds) const {
  if (listenFd_ >= 0) fds.push_back({listenFd_, POLLIN, 0});
  for (const auto& [fd, c] : clients_)
    fds.push_back({fd, static_cast<short>(c.out.empty() ? POLLIN : POLLIN | POLLOUT), 0});
}

void ControlServer::process(const std::vector<pollfd>& fds) {
  for (const auto& p : fds) {
    if (!p.revents) continue;
    if (p.fd == listenFd_) {
      accept();
      continue;
    }
    auto it = clients_.find(p.fd);
    if (it == clients_.end()) continue;
    if (p.revents & POLLOUT) writeTo(p.fd, it->second);
    it = clients_.find(p.fd);
    if (it == clients_.end()) continue;
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) readFrom(p.fd, it->second);
  }
}

void ControlServer::accept() {
  for (;;) {
    int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    PeerIdentity who;
    std::string error;
    if (clients_.size() >= kMaxClients || !identifyPeer(fd, who, error)) {
      std::string msg = errorResponse(kErrUnavailable, clients_.size() >= kMaxClients
                                                           ? "too many control clients"
                                                           : "cannot identify caller: " + error) +
                        "\n";
      [[maybe_unused]] ssize_t n = ::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
      continue;
    }
    Client c;
    c.who = std::move(who);
    c.lastActive = std::chrono::steady_clock::now();
    clients_.emplace(fd, std::move(c));
  }
}

void ControlServer::readFrom(int fd, Client& c) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      if (c.out.empty()) {
        drop(fd);
        return;
      }
      c.closing = true;  // peer half-closed: answer what it asked, then close
      break;
    }
    if (n < 0) break;
    if (c.closing) continue;
    c.in.append(buf, static_cast<size_t>(n));
    c.lastActive = std::chrono::steady_clock::now();
    size_t nl;
    while ((nl = c.in.find('\n')) != std::string::npos) {
      std::string line = c.in.substr(0, nl);
      c.in.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      c.out += handler_(c.who, line) + "\n";
    }
    if (c.in.size() > kMaxControlRequest) {
      c.out += handler_(c.who, c.in) + "\n";  // the handler names the size error and audits it
      c.in.clear();
      c.closing = true;
    }
  }
  if (!c.out.empty()) writeTo(fd, c);
}

void ControlServer::writeTo(int fd, Client& c) {
  while (!c.out.empty()) {
    ssize_t n = ::send(fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      drop(fd);
      return;
    }
    c.out.erase(0, static_cast<size_t>(n));
  }
  if (c.closing) drop(fd);
}

void ControlServer::drop(int fd) {
  ::close(fd);
  clients_.erase(fd);
}

void ControlServer::closeIdle(std::chrono::steady_clock::time_point now) {
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (now - it->second.lastActive > kIdleTimeout) {
      ::close(it->first);
      it = clients_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace isogate::mgmt
