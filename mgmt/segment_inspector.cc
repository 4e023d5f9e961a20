// SegmentInspector: finding -> Event. The event names the zones of both
// addresses and which isolated zone was seen, so the response centre can tell
// a misplugged cable (many addresses) from one stray host.
#include "mgmt/segment_inspector.h"

namespace isogate::mgmt {

SegmentInspector::SegmentInspector(std::string interface, std::string zone)
    : interface_(std::move(interface)), zone_(std::move(zone)) {}

bool SegmentInspector::setPolicy(const policy::CompiledPolicy& p, std::string& error) {
  int z = p.findZone(zone_);
  if (z < 0) {
    error = "monitor interface " + interface_ + ": zone '" + zone_ + "' is not in policy " + p.name;
    std::lock_guard lock(mu_);
    state_.reset();
    return false;
  }
  auto s = std::make_shared<State>();
  s->auditor = std::make_shared<policy::SegmentAuditor>(p, static_cast<uint16_t>(z));
  for (const auto& zone : p.zones) s->zoneNames.push_back(zone.name);
  s->digest = p.digest;
  s->policyName = p.name;
  std::lock_guard lock(mu_);
  state_ = std::move(s);
  return true;
}

std::optional<Event> SegmentInspector::inspect(int linkType, const uint8_t* data,
                                               size_t len) const {
  std::shared_ptr<const State> s;
  {
    std::lock_guard lock(mu_);
    s = state_;
  }
  if (!s) return std::nullopt;
  policy::FrameInspection r = s->auditor->inspectLink(linkType, data, len);
  if (r.status != policy::FrameStatus::Breach || !r.finding) return std::nullopt;
  const policy::SegmentFinding& f = *r.finding;
  auto zoneName = [&](int z) {
    return z >= 0 && static_cast<size_t>(z) < s->zoneNames.size() ? s->zoneNames[z]
                                                                  : std::string("none");
  };
  Event e;
  e.type = EventType::IsolationBreach;
  e.time = std::chrono::system_clock::now();
  e.set("from_zone", zoneName(f.srcZone));
  e.set("to_zone", zoneName(f.dstZone));
  e.set("src", policy::toString(f.src));
  e.set("dst", policy::toString(f.dst));
  e.set("proto", f.kind == "arp" ? std::string("arp") : policy::protocolName(f.protocol));
  if (f.sport >= 0) e.set("sport", std::to_string(f.sport));
  if (f.dport >= 0) e.set("dport", std::to_string(f.dport));
  if (f.icmpType >= 0) e.set("icmp_type", std::to_string(f.icmpType));
  e.set("rule", "");
  e.set("segment", zone_);
  e.set("interface", interface_);
  e.set("seen_zone", zoneName(f.breachZone));
  e.set("policy", s->digest);
  e.set("policy_name", s->policyName);
  e.message = "isolation breach on the " + zone_ + " segment (" + interface_ +
              "): " + zoneName(f.breachZone) + " address " +
              policy::toString(f.breachBySource ? f.src : f.dst) + " seen";
  return e;
}

FrameInspector SegmentInspector::asInspector() const {
  return [this](int linkType, const uint8_t* data, size_t len) {
    return inspect(linkType, data, len);
  };
}

}  // namespace isogate::mgmt
