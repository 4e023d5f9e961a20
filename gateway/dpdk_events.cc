#include "gateway/dpdk_events.h"

#include <chrono>

#include "gateway/violation_event.h"
#include "policy/model.h"

namespace isogate::gateway {

namespace {

policy::IpAddress address(const uint8_t* bytes, uint8_t family) {
  const int n = family == 6 ? 16 : 4;
  policy::U128 v = 0;
  for (int i = 0; i < n; ++i) v = v << 8 | bytes[i];
  return {family == 6 ? policy::Family::V6 : policy::Family::V4, v};
}

}  // namespace

mgmt::Event recordEvent(const dataplane::ViolationRecord& r, const policy::CompiledPolicy* policy,
                        const std::string& inInterface, const std::string& ingressZone) {
  const auto type = static_cast<mgmt::EventType>(r.type);
  mgmt::Event e;
  if (r.family == 4 || r.family == 6) {
    LogTag tag{type, r.rule == dataplane::kNoRule ? -1 : static_cast<int>(r.rule), ""};
    PacketSummary pkt;
    pkt.src = address(r.src, r.family);
    pkt.dst = address(r.dst, r.family);
    pkt.protocol = r.proto;
    // A later fragment has no ports (both 0): leave them out rather than report port 0.
    if ((r.proto == policy::kProtoTcp || r.proto == policy::kProtoUdp) && (r.sport || r.dport)) {
      pkt.sport = r.sport;
      pkt.dport = r.dport;
    }
    if (r.hasIcmpType) pkt.icmpType = r.icmpType;
    e = violationEvent(tag, pkt, policy, inInterface);
  } else {
    // No IP header to name addresses by: the ingress zone is all that is known.
    e.type = type;
    e.set("from_zone", ingressZone);
    e.set("to_zone", "");
    e.set("src", "");
    e.set("rule", "");
    if (!inInterface.empty()) e.set("in_interface", inInterface);
    e.message = "dropped a frame on " + (inInterface.empty() ? std::string("?") : inInterface);
  }
  if (policy) {
    // The policy that judged the packet, which may already have been replaced.
    e.set("policy", policy->digest);
    e.set("policy_name", policy->name);
  }
  e.time = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(r.unixNs)));
  return e;
}

}  // namespace isogate::gateway
