// `isogate-policy trace POLICY --src IP --dst IP [--proto P] [--sport N]
// [--dport N] [--icmp-type T] [--at "mon 10:00"] [--json]`.
#include <charconv>
#include <iostream>

#include "policy/cli/cli_args.h"
#include "policy/cli/commands.h"
#include "policy/policy_text.h"
#include "policy/trace.h"

namespace isogate::policy::cli {

namespace {

constexpr const char* kHelp =
    "usage: isogate-policy trace POLICY --src IP --dst IP [--proto P] [--sport N] [--dport N]\n"
    "                            [--icmp-type T] [--at \"DAY HH:MM\"] [--json]\n"
    "\n"
    "The verdict for the first packet of a flow, and why: the zone of each address\n"
    "and the network that put it there, the isolation of the zone pair, every rule\n"
    "of that pair in order with why it did or did not match, and the deciding rule.\n"
    "\n"
    "  --proto P        tcp (default), udp, icmp, icmpv6 or a number 0-255\n"
    "  --sport N        source port (tcp/udp; default 40000)\n"
    "  --dport N        destination port (tcp/udp; default 0)\n"
    "  --icmp-type T    icmp/icmpv6 type by name (echo-request, ...) or number\n"
    "                   (default echo-request)\n"
    "  --at \"mon 10:00\" the local time schedules are evaluated at (default: now)\n"
    "  --json           one JSON object: verdict, from_zone, to_zone, isolation,\n"
    "                   rule, location, ref, policy, policy_name, packet, at, ...\n"
    "\n"
    "exit status: 0 traced (whatever the verdict), 1 invalid policy, 2 usage or I/O error\n";

bool parsePort(const std::string& text, uint16_t& out) {
  unsigned v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v > 65535)
    return false;
  out = static_cast<uint16_t>(v);
  return true;
}

}  // namespace

int runTrace(const Args& args) {
  ArgParser parser("trace",
                   {{"--src", "", true},
                    {"--dst", "", true},
                    {"--proto", "", true},
                    {"--sport", "", true},
                    {"--dport", "", true},
                    {"--icmp-type", "", true},
                    {"--at", "", true},
                    {"--json", "", false}},
                   {"POLICY"});
  if (!parser.parse(args)) return usageError("trace", parser.error());
  if (parser.helpRequested()) {
    std::cout << kHelp;
    return kExitOk;
  }
  const auto src = parser.value("--src");
  const auto dst = parser.value("--dst");
  if (!src) return usageError("trace", "missing --src IP");
  if (!dst) return usageError("trace", "missing --dst IP");

  PacketKey packet;
  const auto srcAddr = parseAddress(*src);
  if (!srcAddr) return usageError("trace", "--src: '" + *src + "' is not an IPv4 or IPv6 address");
  const auto dstAddr = parseAddress(*dst);
  if (!dstAddr) return usageError("trace", "--dst: '" + *dst + "' is not an IPv4 or IPv6 address");
  if (srcAddr->family != dstAddr->family)
    return usageError("trace", "--src and --dst are of different IP families");
  packet.src = *srcAddr;
  packet.dst = *dstAddr;

  const std::string protoText = parser.value("--proto").value_or("tcp");
  const auto proto = parseProtocol(protoText);
  if (!proto)
    return usageError("trace",
                      "--proto: '" + protoText + "' is not tcp, udp, icmp, icmpv6 or 0-255");
  packet.protocol = *proto;
  const bool v6 = packet.src.family == Family::V6;
  if (packet.protocol == kProtoIcmp && v6)
    return usageError("trace", "--proto icmp with IPv6 addresses; use icmpv6");
  if (packet.protocol == kProtoIcmpv6 && !v6)
    return usageError("trace", "--proto icmpv6 with IPv4 addresses; use icmp");

  const bool ports = packet.protocol == kProtoTcp || packet.protocol == kProtoUdp;
  const bool icmp = packet.protocol == kProtoIcmp || packet.protocol == kProtoIcmpv6;
  packet.sport = 40000;
  packet.dport = 0;
  for (const char* opt : {"--sport", "--dport"}) {
    const auto v = parser.value(opt);
    if (!v) continue;
    if (!ports) return usageError("trace", std::string(opt) + " applies to tcp and udp only");
    uint16_t port = 0;
    if (!parsePort(*v, port))
      return usageError("trace", std::string(opt) + ": '" + *v + "' is not a port 0-65535");
    (std::string(opt) == "--sport" ? packet.sport : packet.dport) = port;
  }
  if (!ports) packet.sport = 0;
  if (icmp) {
    const std::string typeText = parser.value("--icmp-type").value_or("echo-request");
    auto type = icmpTypeByName(packet.protocol, typeText);
    if (!type) {
      unsigned n = 0;
      const auto [end, ec] = std::from_chars(typeText.data(), typeText.data() + typeText.size(), n);
      if (typeText.empty() || ec != std::errc() || end != typeText.data() + typeText.size() ||
          n > 255) {
        return usageError("trace", "--icmp-type: unknown " + protocolName(packet.protocol) +
                                       " type '" + typeText + "'");
      }
      type = static_cast<uint8_t>(n);
    }
    packet.icmpType = *type;
  } else if (parser.has("--icmp-type")) {
    return usageError("trace", "--icmp-type applies to icmp and icmpv6 only");
  }

  LocalTime at = localTimeNow();
  if (const auto atText = parser.value("--at")) {
    const auto parsed = parseLocalTime(*atText);
    if (!parsed)
      return usageError("trace",
                        "--at: '" + *atText + "' is not \"DAY HH:MM\" (e.g. \"mon 10:00\")");
    at = *parsed;
  }

  auto build = buildOrIoError("trace", parser.positional(0));
  if (!build) return kExitUsage;
  if (!build->ok()) {
    printDiagnostics(build->diags);
    std::cerr << "isogate-policy trace: " << parser.positional(0)
              << " is invalid; nothing traced\n";
    return kExitFail;
  }
  const Trace trace = tracePacket(build->model, packet, at);
  if (parser.has("--json")) {
    std::cout << traceToJson(build->model, trace, build->compiled->digest).dump(2) << '\n';
  } else {
    std::cout << formatTrace(build->model, trace, build->compiled->digest);
  }
  return kExitOk;
}

}  // namespace isogate::policy::cli
