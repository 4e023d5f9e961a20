#include "dataplane/drop_reason.h"

namespace isogate::dataplane {

const char* dropReasonName(DropReason r) {
  switch (r) {
    case DropReason::None:
      return "none";
    case DropReason::Malformed:
      return "malformed";
    case DropReason::UnsupportedL2:
      return "unsupported-l2";
    case DropReason::SpoofedSource:
      return "spoofed-source";
    case DropReason::IsolationBreach:
      return "isolation-breach";
    case DropReason::PhysicalIsolation:
      return "physical-isolation";
    case DropReason::LogicalIsolation:
      return "logical-isolation";
    case DropReason::RuleDeny:
      return "rule-deny";
    case DropReason::IntraZoneDeny:
      return "intra-zone-deny";
    case DropReason::NoZone:
      return "no-zone";
    case DropReason::FlowCut:
      return "flow-cut";
    case DropReason::TcpInvalid:
      return "tcp-invalid";
    case DropReason::FlowTableFull:
      return "flow-table-full";
    case DropReason::TtlExpired:
      return "ttl-expired";
    case DropReason::NoRoute:
      return "no-route";
    case DropReason::NeighbourUnresolved:
      return "neighbour-unresolved";
    case DropReason::ToGateway:
      return "to-gateway";
    case DropReason::ArpIgnored:
      return "arp-nd-consumed";
    case DropReason::Monitor:
      return "monitor";
    case DropReason::NoPolicy:
      return "no-policy";
    case DropReason::TxFull:
      return "tx-full";
    case DropReason::Count:
      break;
  }
  return "unknown";
}

}  // namespace isogate::dataplane
