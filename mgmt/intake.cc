// Intake socket. The receive buffer is enlarged so bursts from the gateway sit
// in the kernel rather than being refused while the daemon is busy.
#include "mgmt/intake.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace isogate::mgmt {

Intake::~Intake() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
}

bool Intake::open(const std::string& path, unsigned mode, std::string& error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    error = "event socket path '" + path + "' is empty or too long";
    return false;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      ::close(fd);
      error = "cannot bind " + path + ": exists and is not a socket";
      return false;
    }
    ::unlink(path.c_str());
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    error = "cannot bind " + path + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  ::chmod(path.c_str(), mode);
  int buf = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  path_ = path;
  return true;
}

size_t Intake::drain(const Handler& handler, size_t maxBatch) {
  std::vector<char> buf(kMaxWireDatagram + 1);
  size_t n = 0;
  while (fd_ >= 0 && n < maxBatch) {
    ssize_t len = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT | MSG_TRUNC);
    if (len < 0) break;  // EAGAIN (drained) or an error: either way, nothing more now
    ++n;
    ++stats_.received;
    if (static_cast<size_t>(len) > kMaxWireDatagram) {
      ++stats_.malformed;
      stats_.lastError = "datagram larger than " + std::to_string(kMaxWireDatagram) + " bytes";
      continue;
    }
    WireMessage msg;
    std::string error;
    if (!fromWire(std::string_view(buf.data(), static_cast<size_t>(len)), msg, error)) {
      ++stats_.malformed;
      stats_.lastError = error;
      continue;
    }
    if (msg.kind == WireMessage::Kind::Event)
      ++stats_.events;
    else if (msg.kind == WireMessage::Kind::Flows)
      ++stats_.flows;
    else
      ++stats_.stats;
    handler(msg);
  }
  return n;
}

}  // namespace isogate::mgmt
