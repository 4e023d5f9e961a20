// isogatectl: the operator's command line, a thin shim over the control socket
// (docs/isogatectl.md). Sends one request line, prints the response: human
// text by default, the daemon's JSON with -j. Exit codes: 0 ok, 1 the daemon
// refused or failed the action, 2 usage, 3 daemon unreachable or protocol
// error, 4 not allowed for the caller's role.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "mgmt/ctl/ctl_args.h"
#include "mgmt/ctl/ctl_output.h"

namespace ctl = isogate::mgmt::ctl;
namespace mg = isogate::mgmt;

namespace {

constexpr int kOk = 0, kFailed = 1, kUsage = 2, kUnreachable = 3, kForbidden = 4;
constexpr int kReplyTimeoutMs = 120000;  // a reload compiles the policy first

int connectTo(const std::string& path, std::string& error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    error = "socket path too long";
    return -1;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    error = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  ctl::CtlArgs args;
  std::string error;
  if (!ctl::parseCtlArgs(argc, argv, args, error)) {
    std::fprintf(stderr, "isogatectl: %s\n%s", error.c_str(), ctl::ctlUsage());
    return kUsage;
  }
  if (args.help) {
    std::fputs(ctl::ctlUsage(), stdout);
    return kOk;
  }
  int fd = connectTo(args.socket, error);
  if (fd < 0) {
    std::fprintf(stderr, "isogatectl: cannot connect to %s: %s (is isogate-mgmtd running?)\n",
                 args.socket.c_str(), error.c_str());
    return kUnreachable;
  }
  std::string request = mg::requestToJson(args.request) + "\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    std::fprintf(stderr, "isogatectl: cannot send to %s: %s\n", args.socket.c_str(),
                 std::strerror(errno));
    return kUnreachable;
  }
  ::shutdown(fd, SHUT_WR);
  std::string reply;
  char buf[65536];
  while (reply.find('\n') == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, kReplyTimeoutMs) <= 0) {
      std::fprintf(stderr, "isogatectl: no answer from %s\n", args.socket.c_str());
      return kUnreachable;
    }
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  auto nl = reply.find('\n');
  if (nl == std::string::npos) {
    std::fprintf(stderr, "isogatectl: connection to %s closed without an answer\n",
                 args.socket.c_str());
    return kUnreachable;
  }
  reply.resize(nl);
  auto j = nlohmann::ordered_json::parse(reply, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("ok") || !j["ok"].is_boolean()) {
    std::fprintf(stderr, "isogatectl: unexpected answer from %s\n", args.socket.c_str());
    return kUnreachable;
  }
  if (args.json) std::printf("%s\n", reply.c_str());
  if (j["ok"].get<bool>()) {
    if (!args.json)
      std::fputs(
          ctl::renderHuman(args.request.cmd, j.value("result", nlohmann::ordered_json::object()))
              .c_str(),
          stdout);
    return kOk;
  }
  const auto& err = j.value("error", nlohmann::ordered_json::object());
  std::string code = err.value("code", "");
  std::string message = err.value("message", "unknown error");
  if (!args.json) {
    for (const auto& d : err.value("diagnostics", nlohmann::ordered_json::array()))
      if (d.is_string()) std::fprintf(stderr, "%s\n", d.get<std::string>().c_str());
    std::fprintf(stderr, "isogatectl: %s\n", message.c_str());
  }
  if (code == mg::kErrForbidden) return kForbidden;
  if (code == mg::kErrBadRequest) return kUsage;
  return kFailed;
}
