#include "gateway/dpdk_bench_env.h"

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>

namespace isogate::gateway {

namespace {

bool parseMac(const std::string& s, dataplane::MacAddress& mac) {
  unsigned b[6];
  char tail = 0;
  if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                  &tail) != 6)
    return false;
  for (int i = 0; i < 6; ++i) mac[i] = static_cast<uint8_t>(b[i]);
  return true;
}

}  // namespace

bool parseStaticNeighbours(const std::string& text, std::vector<StaticNeighbour>& out,
                           std::string& error) {
  std::vector<StaticNeighbour> parsed;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    const auto eq = item.find('=');
    StaticNeighbour n;
    const auto address =
        eq == std::string::npos ? std::nullopt : policy::parseAddress(item.substr(0, eq));
    if (!address || !parseMac(item.substr(eq + 1), n.mac)) {
      error = std::string(kNeighboursEnv) + ": '" + item +
              "' is not ADDRESS=MAC (e.g. 172.16.30.10=02:00:00:00:00:aa)";
      return false;
    }
    n.address = *address;
    parsed.push_back(n);
  }
  if (parsed.empty()) {
    error = std::string(kNeighboursEnv) + " is set but empty";
    return false;
  }
  out = std::move(parsed);
  return true;
}

bool applyBenchEnvironment(dataplane::Dataplane& dp, std::string& error) {
  const char* value = std::getenv(kNeighboursEnv);
  if (!value) return true;
  std::vector<StaticNeighbour> entries;
  if (!parseStaticNeighbours(value, entries, error)) return false;
  const auto& topo = dp.topology();
  for (const auto& n : entries) {
    const bool v6 = n.address.family == policy::Family::V6;
    bool connected = false;
    for (uint16_t p = 0; p < topo.portCount() && !connected; ++p) {
      if (topo.monitor(p)) continue;
      connected =
          v6 ? topo.connected<true>(p, n.address.value) : topo.connected<false>(p, n.address.value);
    }
    if (!connected) {
      error = std::string(kNeighboursEnv) + ": " + policy::toString(n.address) +
              " is in no connected network of a forwarding port";
      return false;
    }
  }
  // An entry stamped in the far future never ages out (NeighbourTable::lookup only expires
  // entries older than now); a real ARP/ND answer from the host still replaces it.
  const uint64_t never = std::numeric_limits<uint64_t>::max() / 2;
  for (const auto& n : entries) {
    dp.neighbours().learn(n.address.family == policy::Family::V6, n.address.value, n.mac.data(),
                          never);
  }
  std::fprintf(stderr, "isogate-gw: %s: %zu static neighbour entr%s (benchmark setting)\n",
               kNeighboursEnv, entries.size(), entries.size() == 1 ? "y" : "ies");
  return true;
}

}  // namespace isogate::gateway
