// The parse stage: Ethernet (up to two 802.1Q/802.1ad tags), ARP, IPv4 with
// options, IPv6 with its extension-header chain, TCP, UDP, ICMP, ICMPv6
// (including the packet embedded in an ICMP error). Anything truncated,
// inconsistent or not understood is dropped as `malformed`; fail closed.
#pragma once

#include "dataplane/packet_meta.h"

namespace isogate::dataplane {

// Parses one frame into md (md is reset first). Never reads past data_len.
void parsePacket(const rte_mbuf* m, PacketMeta& md) noexcept;

class ParseStage {
 public:
  void process(Burst& b) noexcept;
};

}  // namespace isogate::dataplane
