// isogatectl's human-readable rendering of a daemon response (the JSON is
// printed as is with -j). One function per command, plain aligned text.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "mgmt/control_protocol.h"

namespace isogate::mgmt::ctl {

std::string renderHuman(Command cmd, const nlohmann::ordered_json& result);

}  // namespace isogate::mgmt::ctl
