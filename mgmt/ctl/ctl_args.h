// isogatectl's command line: `isogatectl [--socket PATH] [-j] COMMAND [ARGS]`,
// parsed into a control request (mgmt/control_protocol.h). Usage errors are
// reported with exit code 2 before anything is sent.
#pragma once

#include <string>

#include "mgmt/control_protocol.h"

namespace isogate::mgmt::ctl {

struct CtlArgs {
  std::string socket;  // --socket, else $ISOGATE_CONTROL_SOCKET, else the default
  bool json = false;   // -j / --json
  bool help = false;
  ControlRequest request;
};

bool parseCtlArgs(int argc, const char* const* argv, CtlArgs& out, std::string& error);
const char* ctlUsage();

}  // namespace isogate::mgmt::ctl
