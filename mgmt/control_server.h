// The control socket (SPEC §2 `control.socket`): a unix stream socket, mode
// 0660, that isogatectl talks line-delimited JSON to. Non-blocking and driven
// by the daemon's poll loop; the caller's identity comes from SO_PEERCRED at
// accept time. Bounded: request size, number of clients, idle time.
#pragma once

#include <poll.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mgmt/control_roles.h"

namespace isogate::mgmt {

inline constexpr const char* kDefaultControlSocket = "/run/isogate/control.sock";

class ControlServer {
 public:
  using Handler = std::function<std::string(const PeerIdentity&, std::string_view line)>;

  explicit ControlServer(Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds `path` (a stale socket there is replaced), chmod `mode`, chown to `gid` (-1: keep).
  bool open(const std::string& path, unsigned mode, int64_t gid, std::string& error);

  void addPollFds(std::vector<pollfd>& fds) const;
  // Handles the ready fds among `fds` (those added by addPollFds; others are ignored).
  void process(const std::vector<pollfd>& fds);
  void closeIdle(std::chrono::steady_clock::time_point now);

  size_t clients() const { return clients_.size(); }

  static constexpr size_t kMaxClients = 32;
  static constexpr std::chrono::seconds kIdleTimeout{60};

 private:
  struct Client {
    PeerIdentity who;
    std::string in, out;
    bool closing = false;  // close once `out` is written
    std::chrono::steady_clock::time_point lastActive;
  };
  void accept();
  void readFrom(int fd, Client& c);
  void writeTo(int fd, Client& c);
  void drop(int fd);

  Handler handler_;
  int listenFd_ = -1;
  std::string path_;
  std::map<int, Client> clients_;
};

}  // namespace isogate::mgmt
