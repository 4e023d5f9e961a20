#include "gateway/dpdk_eal.h"

#include <rte_eal.h>
#include <rte_errno.h>

#include <cctype>

#include "gateway/dpdk_error.h"

namespace isogate::gateway {

namespace {

bool hexRun(const std::string& s, size_t at, size_t n) {
  if (at + n > s.size()) return false;
  for (size_t i = at; i < at + n; ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

}  // namespace

bool isPciAddress(const std::string& d) {
  // [DDDD:]BB:DD.F
  size_t at = 0;
  if (d.size() == 12) {
    if (!hexRun(d, 0, 4) || d[4] != ':') return false;
    at = 5;
  } else if (d.size() != 7) {
    return false;
  }
  return hexRun(d, at, 2) && d[at + 2] == ':' && hexRun(d, at + 3, 2) && d[at + 5] == '.' && d[at + 6] >= '0' &&
         d[at + 6] <= '7';
}

std::string dpdkPortName(const std::string& device) {
  if (isPciAddress(device)) return device.size() == 7 ? "0000:" + device : device;
  return device.substr(0, device.find(','));
}

std::vector<std::string> ealArguments(const policy::GatewayConfig& config) {
  std::vector<std::string> args{"isogate-gw"};
  for (const auto& a : config.dpdkEal) args.push_back(a);
  for (const auto& itf : config.interfaces) {
    if (itf.device.empty()) continue;
    if (isPciAddress(itf.device)) {
      args.push_back("-a");
      args.push_back(itf.device);
    } else {
      args.push_back("--vdev=" + itf.device);
    }
  }
  return args;
}

bool initEal(const policy::GatewayConfig& config, std::string& error) {
  std::vector<std::string> args = ealArguments(config);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
    error = dpdkError("rte_eal_init", rte_errno);
    std::string line;
    for (const auto& a : args) line += (line.empty() ? "" : " ") + a;
    error += " (EAL arguments: " + line + ")";
    return false;
  }
  return true;
}

}  // namespace isogate::gateway

#include <filesystem>
#include <system_error>

namespace isogate::gateway {

bool resolveDevicePaths(policy::GatewayConfig& config, const std::string& baseDir, std::string& error) {
  namespace fs = std::filesystem;
  for (auto& itf : config.interfaces) {
    if (itf.device.empty() || isPciAddress(itf.device)) continue;
    std::string out;
    size_t start = 0;
    while (start <= itf.device.size()) {
      size_t end = itf.device.find(',', start);
      if (end == std::string::npos) end = itf.device.size();
      std::string part = itf.device.substr(start, end - start);
      for (const char* key : {"rx_pcap=", "tx_pcap="}) {
        const std::string k = key;
        if (part.rfind(k, 0) != 0) continue;
        fs::path p = part.substr(k.size());
        if (p.is_relative() && !baseDir.empty()) p = fs::path(baseDir) / p;
        p = p.lexically_normal();
        if (k == "tx_pcap=" && p.has_parent_path()) {
          std::error_code ec;
          fs::create_directories(p.parent_path(), ec);
          if (ec) {
            error = "interface '" + itf.name + "': cannot create " + p.parent_path().string() + ": " + ec.message();
            return false;
          }
        }
        part = k + p.string();
      }
      out += (out.empty() ? "" : ",") + part;
      start = end + 1;
    }
    itf.device = out;
  }
  return true;
}

}  // namespace isogate::gateway
