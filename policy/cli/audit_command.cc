// `isogate-policy audit POLICY --segment ZONE CAPTURE.pcap [--json]`: offline
// isolation audit of a capture taken on one zone's segment.
#include <pcap/pcap.h>

#include <ctime>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "policy/cli/cli_args.h"
#include "policy/cli/commands.h"
#include "policy/segment_audit.h"

namespace isogate::policy::cli {

namespace {

constexpr const char* kHelp =
    "usage: isogate-policy audit POLICY --segment ZONE CAPTURE.pcap [--json]\n"
    "\n"
    "Reads a capture (pcap or pcapng) taken on the segment of ZONE and reports every\n"
    "packet that proves a link between physically isolated zones: a source or\n"
    "destination address (IPv4, IPv6, ARP sender/target, also inside VLAN tags and\n"
    "IP-in-IP) in a zone physically isolated from ZONE is an isolation-breach.\n"
    "Link-local, multicast, broadcast, loopback and unspecified addresses stay on\n"
    "the segment and prove nothing unless a zone lists them.\n"
    "One line per finding on stdout: packet number, UTC time, type, header, addresses\n"
    "with their zones; a summary line on stderr.\n"
    "\n"
    "  --json   one JSON object: segment, policy, packets, findings [...], counts\n"
    "\n"
    "exit status: 0 clean, 1 findings, 2 usage or I/O error (including an unreadable\n"
    "capture or an unsupported link type) or an invalid policy\n";

std::string utcTime(const struct timeval& tv) {
  std::tm tm{};
  const std::time_t secs = tv.tv_sec;
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long>(tv.tv_usec));
  return buf;
}

std::string zoneText(const CompiledPolicy& p, int z) {
  return z >= 0 ? p.zones[z].name : std::string("-");
}

std::string endpoint(const SegmentFinding& f, bool source) {
  const IpAddress& a = source ? f.src : f.dst;
  const int port = source ? f.sport : f.dport;
  if (port < 0) return toString(a);
  return a.family == Family::V6 ? "[" + toString(a) + "]:" + std::to_string(port)
                                : toString(a) + ':' + std::to_string(port);
}

std::string findingLine(const CompiledPolicy& p, uint64_t number, const std::string& time,
                        const SegmentFinding& f) {
  std::string out = std::to_string(number) + ' ' + time + " isolation-breach " + f.kind;
  if (f.kind != "arp") out += ' ' + protocolName(f.protocol);
  out += ' ' + endpoint(f, true) + " (" + zoneText(p, f.srcZone) + ") -> " + endpoint(f, false) +
         " (" + zoneText(p, f.dstZone) + ")";
  if (f.icmpType >= 0) out += " type " + icmpTypeName(f.protocol, static_cast<uint8_t>(f.icmpType));
  if (!f.vlans.empty()) {
    out += " vlan";
    for (size_t i = 0; i < f.vlans.size(); ++i) out += (i ? "," : " ") + std::to_string(f.vlans[i]);
  }
  if (f.tunnelDepth > 0) out += " tunnelled";
  return out;
}

nlohmann::json findingJson(const CompiledPolicy& p, uint64_t number, const std::string& time,
                           const SegmentFinding& f) {
  nlohmann::json j;
  j["packet"] = number;
  j["time"] = time;
  j["type"] = "isolation-breach";
  j["header"] = f.kind;
  j["src"] = toString(f.src);
  j["dst"] = toString(f.dst);
  j["src_zone"] =
      f.srcZone >= 0 ? nlohmann::json(p.zones[f.srcZone].name) : nlohmann::json(nullptr);
  j["dst_zone"] =
      f.dstZone >= 0 ? nlohmann::json(p.zones[f.dstZone].name) : nlohmann::json(nullptr);
  j["breach_zone"] = p.zones[f.breachZone].name;
  j["by"] = f.breachBySource ? "src" : "dst";
  if (f.kind != "arp") j["proto"] = protocolName(f.protocol);
  if (f.sport >= 0) j["sport"] = f.sport;
  if (f.dport >= 0) j["dport"] = f.dport;
  if (f.icmpType >= 0) j["icmp_type"] = icmpTypeName(f.protocol, static_cast<uint8_t>(f.icmpType));
  j["vlans"] = f.vlans;
  j["tunnelled"] = f.tunnelDepth > 0;
  return j;
}

}  // namespace

int runAudit(const Args& args) {
  ArgParser parser("audit", {{"--segment", "", true}, {"--json", "", false}},
                   {"POLICY", "CAPTURE"});
  if (!parser.parse(args)) return usageError("audit", parser.error());
  if (parser.helpRequested()) {
    std::cout << kHelp;
    return kExitOk;
  }
  const auto segment = parser.value("--segment");
  if (!segment) return usageError("audit", "missing --segment ZONE");
  auto build = buildOrIoError("audit", parser.positional(0));
  if (!build) return kExitUsage;
  if (!build->ok()) {
    printDiagnostics(build->diags);
    std::cerr << "isogate-policy audit: " << parser.positional(0)
              << " is invalid; nothing audited\n";
    return kExitUsage;
  }
  const CompiledPolicy& policy = *build->compiled;
  const int zone = policy.findZone(*segment);
  if (zone < 0) {
    std::string names;
    for (const auto& z : policy.zones) names += (names.empty() ? "" : ", ") + z.name;
    return usageError("audit",
                      "--segment: no zone '" + *segment + "' in the policy (zones: " + names + ")");
  }

  const std::string capture = parser.positional(1);
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> pcap(pcap_open_offline(capture.c_str(), errbuf),
                                                  pcap_close);
  if (!pcap) {
    std::cerr << "isogate-policy audit: cannot read " << capture << ": " << errbuf << '\n';
    return kExitUsage;
  }
  const int linkType = pcap_datalink(pcap.get());
  if (!segmentLinkTypeSupported(linkType)) {
    const char* name = pcap_datalink_val_to_name(linkType);
    std::cerr << "isogate-policy audit: " << capture << ": unsupported link type " << linkType
              << (name ? std::string(" (") + name + ")" : std::string()) << '\n';
    return kExitUsage;
  }

  const SegmentAuditor auditor(policy, static_cast<uint16_t>(zone));
  const bool json = parser.has("--json");
  nlohmann::json findings = nlohmann::json::array();
  uint64_t packets = 0, breaches = 0, malformed = 0, notIp = 0;
  bool readError = false;
  std::string readErrorText;
  while (true) {
    struct pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(pcap.get(), &header, &data);
    if (rc == PCAP_ERROR_BREAK) break;
    if (rc != 1) {
      readError = true;
      readErrorText = pcap_geterr(pcap.get());
      break;
    }
    ++packets;
    const FrameInspection r = auditor.inspectLink(linkType, data, header->caplen);
    switch (r.status) {
      case FrameStatus::Breach: {
        ++breaches;
        const std::string time = utcTime(header->ts);
        if (json) {
          findings.push_back(findingJson(policy, packets, time, *r.finding));
        } else {
          std::cout << findingLine(policy, packets, time, *r.finding) << '\n';
        }
        break;
      }
      case FrameStatus::Malformed:
        ++malformed;
        break;
      case FrameStatus::NotIp:
        ++notIp;
        break;
      case FrameStatus::Clean:
        break;
    }
  }
  if (json) {
    nlohmann::json j;
    j["segment"] = *segment;
    j["capture"] = capture;
    j["policy"] = policy.digest;
    j["policy_name"] = policy.name;
    j["packets"] = packets;
    j["findings"] = findings;
    j["malformed"] = malformed;
    j["not_ip"] = notIp;
    j["complete"] = !readError;
    std::cout << j.dump(2) << '\n';
  }
  std::cerr << "audit of " << capture << " on the " << *segment << " segment: " << packets
            << " packets, " << breaches
            << (breaches == 1 ? " isolation breach, " : " isolation breaches, ") << malformed
            << " malformed, " << notIp << " not IP\n";
  if (readError) {
    std::cerr << "isogate-policy audit: " << capture << ": read error after packet " << packets
              << ": " << readErrorText << '\n';
    return kExitUsage;
  }
  return breaches > 0 ? kExitFail : kExitOk;
}

}  // namespace isogate::policy::cli
