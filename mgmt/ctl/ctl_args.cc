// isogatectl argument parsing; the request is validated again by the daemon,
// but a typo should fail here with a usage message, not as a daemon error.
#include "mgmt/ctl/ctl_args.h"

#include <charconv>
#include <cstdlib>
#include <vector>

#include "mgmt/control_server.h"

namespace isogate::mgmt::ctl {

const char* ctlUsage() {
  return "usage: isogatectl [--socket PATH] [-j] COMMAND\n"
         "commands:\n"
         "  status                          running policy, pending confirmation, syslog state\n"
         "  stats                           event, drop and gateway counters\n"
         "  violations [--since D] [--type T] [--limit N]\n"
         "                                  recent violations (D: 90s, 15m, 2h, 7d)\n"
         "  flows                           the gateway's connection table (latest)\n"
         "  reload [--confirm SECONDS]      load the policy file; roll back unless confirmed\n"
         "  confirm                         keep the policy of a `reload --confirm`\n"
         "  rollback                        restore the previous policy\n"
         "  audit show [--limit N]          the audit trail\n"
         "  audit verify                    check the audit trail's hash chain\n"
         "exit codes: 0 ok, 1 failed, 2 usage, 3 daemon unreachable, 4 not allowed for your role\n";
}

bool parseCtlArgs(int argc, const char* const* argv, CtlArgs& out, std::string& error) {
  std::vector<std::string> rest;
  const char* env = std::getenv("ISOGATE_CONTROL_SOCKET");
  out.socket = env && *env ? env : kDefaultControlSocket;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--socket" || a == "-s") {
      if (i + 1 >= argc) {
        error = a + " needs a path";
        return false;
      }
      out.socket = argv[++i];
    } else if (a.rfind("--socket=", 0) == 0) {
      out.socket = a.substr(9);
    } else if (a == "-j" || a == "--json") {
      out.json = true;
    } else if (a == "-h" || a == "--help") {
      out.help = true;
      return true;
    } else {
      rest.push_back(a);
    }
  }
  if (rest.empty()) {
    error = "no command given";
    return false;
  }
  std::string cmd = rest[0];
  size_t i = 1;
  ControlRequest& r = out.request;
  auto number = [&](const std::string& flag, uint32_t& n) {
    if (i + 1 >= rest.size()) {
      error = flag + " needs a number";
      return false;
    }
    const std::string& v = rest[++i];
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size()) {
      error = flag + ": '" + v + "' is not a number";
      return false;
    }
    return true;
  };
  if (cmd == "status" || cmd == "stats" || cmd == "flows" || cmd == "confirm" ||
      cmd == "rollback") {
    r.cmd = cmd == "status"    ? Command::Status
            : cmd == "stats"   ? Command::Stats
            : cmd == "flows"   ? Command::Flows
            : cmd == "confirm" ? Command::Confirm
                               : Command::Rollback;
  } else if (cmd == "violations") {
    r.cmd = Command::Violations;
    for (; i < rest.size(); ++i) {
      if (rest[i] == "--since" && i + 1 < rest.size()) {
        r.since = parseDuration(rest[++i]);
        if (!r.since) {
          error = "--since: invalid duration '" + rest[i] + "' (e.g. 90s, 15m, 2h, 7d)";
          return false;
        }
      } else if (rest[i] == "--type" && i + 1 < rest.size()) {
        r.type = eventTypeFromName(rest[++i]);
        if (!r.type || !isViolation(*r.type)) {
          error = "--type: '" + rest[i] +
                  "' is not a violation type (physical-isolation, isolation-breach, "
                  "logical-isolation, spoofed-source, malformed)";
          return false;
        }
      } else if (rest[i] == "--limit") {
        if (!number("--limit", r.limit)) return false;
      } else {
        error = "violations: unexpected '" + rest[i] + "'";
        return false;
      }
    }
    return true;
  } else if (cmd == "reload") {
    r.cmd = Command::Reload;
    for (; i < rest.size(); ++i) {
      if (rest[i] == "--confirm") {
        uint32_t s = 0;
        if (!number("--confirm", s)) return false;
        if (s == 0 || s > kMaxConfirmSeconds) {
          error = "--confirm: seconds between 1 and " + std::to_string(kMaxConfirmSeconds);
          return false;
        }
        r.confirmSeconds = s;
      } else {
        error = "reload: unexpected '" + rest[i] + "'";
        return false;
      }
    }
    return true;
  } else if (cmd == "audit") {
    if (rest.size() < 2 || (rest[1] != "show" && rest[1] != "verify")) {
      error = "audit: expected 'show' or 'verify'";
      return false;
    }
    r.cmd = rest[1] == "show" ? Command::AuditShow : Command::AuditVerify;
    for (i = 2; i < rest.size(); ++i) {
      if (rest[i] == "--limit" && r.cmd == Command::AuditShow) {
        if (!number("--limit", r.limit)) return false;
      } else {
        error = "audit " + rest[1] + ": unexpected '" + rest[i] + "'";
        return false;
      }
    }
    return true;
  } else {
    error = "unknown command '" + cmd + "'";
    return false;
  }
  if (i < rest.size()) {
    error = cmd + ": unexpected '" + rest[i] + "'";
    return false;
  }
  return true;
}

}  // namespace isogate::mgmt::ctl
