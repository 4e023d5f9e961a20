// The isolation-breach inspector for frames seen on one zone's segment (a
// monitor/tap port, or a capture file taken there). Any address of a zone that
// is physically isolated from the segment's zone proves a forbidden link: an
// `isolation-breach`. Shared by `isogate-policy audit` (offline pcap) and the
// management daemon's live libpcap sensors. Parsing is bounds-checked and never
// trusts a length field: any bytes give a clean answer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/compiled.h"

namespace isogate::policy {

// Link-layer header types (pcap LINKTYPE_/DLT_ numbers) the inspector reads.
inline constexpr int kLinkNull = 0;  // BSD loopback, host-order address family
inline constexpr int kLinkEthernet = 1;
inline constexpr int kLinkRaw = 12;     // DLT_RAW on Linux (LINKTYPE_RAW 101 maps to it)
inline constexpr int kLinkRawAlt = 14;  // DLT_RAW on some BSDs
inline constexpr int kLinkLoop = 108;   // OpenBSD loopback, network-order family
inline constexpr int kLinkRaw101 = 101;
inline constexpr int kLinkLinuxSll = 113;
inline constexpr int kLinkIpv4 = 228;
inline constexpr int kLinkIpv6 = 229;
inline constexpr int kLinkLinuxSll2 = 276;

bool segmentLinkTypeSupported(int linkType);

struct SegmentFinding {
  std::string kind;    // "ipv4", "ipv6", "arp" (the header that carried the addresses)
  IpAddress src, dst;  // for ARP: sender and target protocol addresses
  int srcZone = -1;    // zone of each address; -1 = none (or a link-local/multicast address)
  int dstZone = -1;
  uint16_t breachZone = 0;  // the physically isolated zone that was seen
  bool breachBySource = true;
  uint8_t protocol = 0;  // IP protocol (0 for ARP)
  int sport = -1, dport = -1, icmpType = -1;
  std::vector<uint16_t> vlans;  // 802.1Q/802.1ad tags, outermost first
  int tunnelDepth = 0;          // 0 = outer header; >0 = inside IP-in-IP
};

enum class FrameStatus : uint8_t {
  Clean,      // addresses found, none of an isolated zone
  Breach,     // see the finding
  NotIp,      // no IPv4/IPv6/ARP(IPv4) inside (STP, LLDP, ...): nothing to judge
  Malformed,  // truncated or inconsistent headers
};

struct FrameInspection {
  FrameStatus status = FrameStatus::NotIp;
  std::optional<SegmentFinding> finding;
};

class SegmentAuditor {
 public:
  // segmentZone must be a zone id of `policy`.
  SegmentAuditor(const CompiledPolicy& policy, uint16_t segmentZone);

  // An Ethernet frame (what the live sensors read).
  std::optional<SegmentFinding> inspect(const uint8_t* frame, size_t len) const;
  // Any supported link type, with the frame's class for statistics.
  FrameInspection inspectLink(int linkType, const uint8_t* data, size_t len) const;

  // The zone an address proves present on the segment: the prefix tables, else
  // the `any` zone, except that unspecified, loopback, link-local, multicast
  // and broadcast addresses are local to the segment and prove nothing.
  int attributedZone(const IpAddress& a) const;

  uint16_t segmentZone() const { return segment_; }

 private:
  struct Walk;
  void ethertype(Walk& w, uint16_t type, const uint8_t* p, size_t len, int depth) const;
  void ipv4(Walk& w, const uint8_t* p, size_t len, int depth) const;
  void ipv6(Walk& w, const uint8_t* p, size_t len, int depth) const;
  void arp(Walk& w, const uint8_t* p, size_t len) const;
  void judge(Walk& w, SegmentFinding f) const;

  CompiledPolicy policy_;  // a copy: the auditor outlives reloads of the caller's policy
  uint16_t segment_;
};

}  // namespace isogate::policy
