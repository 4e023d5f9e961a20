// Turns the data plane's ViolationRecords into SPEC §4 events, with zone and rule
// names from the policy that judged the packet (Dataplane::policyOf(generation))
// and the same fields the kernel backend's NFLOG path reports (violation_event.h).
#pragma once

#include <string>

#include "dataplane/violation_record.h"
#include "mgmt/event.h"
#include "policy/compiled.h"

namespace isogate::gateway {

// `policy` may be null (a record older than the kept history): names are then empty.
// `ingressZone` names the zone of the port the packet came in on (for records
// without an IP header, e.g. a malformed frame).
mgmt::Event recordEvent(const dataplane::ViolationRecord& r, const policy::CompiledPolicy* policy,
                        const std::string& inInterface, const std::string& ingressZone);

}  // namespace isogate::gateway
