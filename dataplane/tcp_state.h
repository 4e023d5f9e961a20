// TCP connection tracking without sequence-number checks: the states a
// firewall needs to choose timeouts and to tell the start of a flow apart
// from the middle of one. RST closes at once; FIN in both directions closes.
#pragma once

#include "dataplane/flow_table.h"
#include "dataplane/wire.h"
#include "dataplane/worker_context.h"

namespace isogate::dataplane {

inline bool isPureSyn(uint8_t flags) {
  return (flags & (wire::kTcpSyn | wire::kTcpAck | wire::kTcpRst | wire::kTcpFin)) == wire::kTcpSyn;
}

// Advances e for one packet (reply = from the responder) and returns its new timeout.
inline uint64_t advanceTcp(FlowEntry& e, bool reply, uint8_t flags,
                           const TickTimeouts& t) noexcept {
  using namespace wire;
  if (flags & kTcpRst) {
    e.tcp = TcpState::Closed;
    return t.tcpClosed;
  }
  if (flags & kTcpFin) e.finSeen |= reply ? 2 : 1;
  switch (e.tcp) {
    case TcpState::None:
    case TcpState::SynSent:
      if (reply && (flags & kTcpSyn) && (flags & kTcpAck)) e.tcp = TcpState::SynReceived;
      break;
    case TcpState::SynReceived:
      if (!reply && (flags & kTcpAck) && !(flags & kTcpSyn)) e.tcp = TcpState::Established;
      break;
    case TcpState::Established:
      if (e.finSeen) e.tcp = TcpState::Closing;
      break;
    case TcpState::Closing:
      if (e.finSeen == 3 && (flags & kTcpAck) && !(flags & kTcpFin)) e.tcp = TcpState::Closed;
      break;
    case TcpState::Closed:
      break;
  }
  if (e.finSeen && e.tcp != TcpState::Closed) e.tcp = TcpState::Closing;
  switch (e.tcp) {
    case TcpState::Established:
      return t.tcpEstablished;
    case TcpState::Closing:
      return t.tcpClosing;
    case TcpState::Closed:
      return t.tcpClosed;
    default:
      return t.tcpSyn;
  }
}

}  // namespace isogate::dataplane
