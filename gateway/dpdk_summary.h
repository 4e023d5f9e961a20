// The report `isogate-gw --until-idle` prints when the replayed captures are done:
// per zone pair the packets forwarded and blocked, the drops by reason, the
// violations by type, what each port transmitted, and example events as the
// RFC 5424 lines a SOC would receive.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "gateway/dpdk_backend.h"

namespace isogate::gateway {

struct DemoReport {
  std::vector<std::string> examples;  // RFC 5424 lines, a few per violation type
  std::string eventsFile;             // where every event went ("" = nowhere)
  uint64_t events = 0;                // events emitted (after aggregation)
};

void printSummary(std::FILE* out, DpdkBackend& backend, const policy::CompiledPolicy* policy,
                  const DemoReport& report);

}  // namespace isogate::gateway
