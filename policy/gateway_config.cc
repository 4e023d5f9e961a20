// Loader of the gateway configuration (SPEC §2); checks against the policy are
// in gateway_config_check.cc.
#include "policy/gateway_config.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "policy/yaml_reader.h"
#include "policy/yaml_tree.h"

namespace isogate::policy {

const char* backendName(Backend b) { return b == Backend::Dpdk ? "dpdk" : "nftables"; }

Prefix InterfaceAddress::network() const {
  return Prefix{address.family, address.value & prefixMask(address.family, length), length};
}

std::string toString(const InterfaceAddress& a) {
  return toString(a.address) + "/" + std::to_string(a.length);
}

const GatewayInterface* GatewayConfig::findInterface(const std::string& n) const {
  for (const auto& i : interfaces)
    if (i.name == n) return &i;
  return nullptr;
}

namespace {

constexpr std::pair<std::string_view, int> kFacilities[] = {
    {"kern", 0},      {"user", 1},    {"mail", 2},    {"daemon", 3},  {"auth", 4},
    {"syslog", 5},    {"lpr", 6},     {"news", 7},    {"uucp", 8},    {"cron", 9},
    {"authpriv", 10}, {"ftp", 11},    {"local0", 16}, {"local1", 17}, {"local2", 18},
    {"local3", 19},   {"local4", 20}, {"local5", 21}, {"local6", 22}, {"local7", 23},
};

std::optional<uint16_t> parsePort(std::string_view t) {
  unsigned v = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size() || v < 1 || v > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(v);
}

bool isHostName(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  for (const char c : h)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '-'))
      return false;
  return h.front() != '-' && h.front() != '.';
}

// "HOST:PORT" with HOST an IPv4 address, [IPv6] or a host name. With
// `needPort` false a bare HOST is fine and `port` keeps its default.
bool parseHostPort(std::string_view t, bool needPort, std::string& host, uint16_t& port) {
  std::string_view h, p;
  bool hasPort = false;
  if (t.starts_with("[")) {
    const auto close = t.find(']');
    if (close == std::string_view::npos) return false;
    h = t.substr(1, close - 1);
    const std::string_view rest = t.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return false;
      p = rest.substr(1);
      hasPort = true;
    }
    const auto a = parseAddress(h);
    if (!a || a->family != Family::V6) return false;
  } else {
    const auto colon = t.find(':');
    if (colon != t.rfind(':')) return false;  // an IPv6 address needs brackets
    h = t.substr(0, colon);
    if (colon != std::string_view::npos) {
      p = t.substr(colon + 1);
      hasPort = true;
    }
    if (!isHostName(h)) return false;
  }
  if (needPort && !hasPort) return false;
  if (hasPort) {
    const auto v = parsePort(p);
    if (!v) return false;
    port = *v;
  }
  host = std::string(h);
  return true;
}

bool isInterfaceName(std::string_view n) {
  if (n.empty() || n.size() > 15 || n == "." || n == "..") return false;
  for (const char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  return true;
}

bool isAccountName(std::string_view n) {
  if (n.empty() || n.size() > 32 || n.front() == '-') return false;
  for (const char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  return true;
}

class GatewayLoader {
 public:
  GatewayLoader(YamlReader& r, GatewayConfig& c) : r_(r), c_(c) {}

  void load(const yaml::Node& root) {
    // Another schema version: the rest of the file would only produce noise.
    for (const auto& e : root.entries) {
      if (!e.key.isScalar() || e.key.text != "version") continue;
      if (!e.value.isScalar() || e.value.text != "1") {
        r_.error(e.value, e.value.isScalar() ? "unsupported gateway config version '" +
                                                   e.value.text + "'; this isogate reads version 1"
                                             : std::string("'version' must be 1"));
        return;
      }
      c_.version = 1;
      break;
    }
    const Fields f = r_.fields(root,
                               {"version", "name", "policy", "backend", "interfaces", "routes",
                                "dpdk", "events", "metrics", "control", "flows"},
                               {"version", "name", "policy", "backend", "interfaces"}, "");
    if (const auto* n = f.get("name")) loadName(*n);
    if (const auto* p = f.get("policy")) loadPolicyPath(*p);
    if (const auto* b = f.get("backend")) {
      c_.backendWhere = r_.at(b->value);
      if (const auto v = r_.choice(*b, "backend", {"dpdk", "nftables"}))
        c_.backend = *v == 0 ? Backend::Dpdk : Backend::Nftables;
    }
    if (const auto* i = f.get("interfaces")) loadInterfaces(*i);
    if (const auto* ro = f.get("routes")) loadRoutes(*ro);
    if (const auto* d = f.get("dpdk")) loadDpdk(*d);
    if (const auto* e = f.get("events")) loadEvents(*e);
    if (const auto* m = f.get("metrics")) loadMetrics(*m);
    if (const auto* co = f.get("control")) loadControl(*co);
    if (const auto* fl = f.get("flows")) loadFlows(*fl);
  }

 private:
  std::string resolve(const std::string& path) const {
    namespace fs = std::filesystem;
    if (path.empty() || fs::path(path).is_absolute()) return path;
    const fs::path dir = fs::path(c_.file).parent_path();
    return dir.empty() ? path : (dir / path).lexically_normal().string();
  }

  void loadName(const yaml::Entry& e) {
    const auto name = r_.string(e);
    if (!name) return;
    if (!isHostName(*name) || name->size() > 255) {
      r_.error(e.value, "invalid gateway name '" + *name +
                            "'; use letters, digits, '.' and '-' (it is the syslog HOSTNAME)");
    }
    c_.name = *name;
  }

  void loadPolicyPath(const yaml::Entry& e) {
    const auto path = r_.string(e);
    if (!path) return;
    if (path->empty()) {
      r_.error(e.value, "'policy' must name the policy file");
      return;
    }
    c_.policyPath = resolve(*path);
    c_.policyWhere = r_.at(e.value);
  }

  void loadAddresses(const yaml::Entry& e, GatewayInterface& itf) {
    itf.addressWhere = r_.at(e.key);
    const yaml::Node* list = r_.list(e);
    if (!list) return;
    for (const auto& item : list->items) {
      if (!item.isScalar()) {
        r_.error(item, "each address must be a string like 10.20.0.1/16");
        continue;
      }
      const std::string_view t = item.text;
      const auto slash = t.find('/');
      const auto addr = parseAddress(t.substr(0, slash));
      if (!addr) {
        r_.error(item, "invalid interface address '" + item.text +
                           "'; expected an address with prefix length like 10.20.0.1/16");
        continue;
      }
      if (slash == std::string_view::npos) {
        r_.error(item, "interface address '" + item.text + "' needs a prefix length, e.g. " +
                           item.text + (addr->family == Family::V4 ? "/24" : "/64"));
        continue;
      }
      const std::string_view len = t.substr(slash + 1);
      int length = -1;
      const auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), length);
      if (len.empty() || ec != std::errc() || end != len.data() + len.size() || length < 0 ||
          length > familyBits(addr->family)) {
        r_.error(item, "invalid interface address '" + item.text + "': prefix length must be 0.." +
                           std::to_string(familyBits(addr->family)));
        continue;
      }
      itf.addresses.push_back({InterfaceAddress{*addr, static_cast<uint8_t>(length)}, r_.at(item)});
    }
  }

  void loadInterfaces(const yaml::Entry& e) {
    const yaml::Node* list = r_.list(e);
    if (!list) return;
    std::unordered_map<std::string, int> firstLine;
    int index = 0;
    for (const auto& item : list->items) {
      ++index;
      if (!item.isMap()) {
        r_.error(item, "each interface must be a mapping with name and zone");
        continue;
      }
      GatewayInterface itf;
      itf.where = r_.at(item);
      std::string context = "interface #" + std::to_string(index);
      for (const auto& en : item.entries)
        if (en.key.isScalar() && en.key.text == "name" && en.value.isScalar())
          context = "interface '" + en.value.text + "'";
      const Fields f =
          r_.fields(item, {"name", "zone", "address", "device", "monitor", "description"},
                    {"name", "zone"}, context);
      if (const auto* n = f.get("name")) {
        if (const auto name = r_.string(*n)) {
          itf.name = *name;
          itf.nameWhere = r_.at(n->value);
          if (!isInterfaceName(*name)) {
            r_.error(n->value, "invalid interface name '" + *name +
                                   "'; use 1 to 15 characters a-z, A-Z, 0-9, '.', '_' and '-'");
          }
          if (const auto it = firstLine.find(*name); it != firstLine.end()) {
            r_.error(n->value, "duplicate interface name '" + *name + "' (first at line " +
                                   std::to_string(it->second) + ")");
          } else {
            firstLine.emplace(*name, n->value.line);
          }
        }
      }
      if (const auto* z = f.get("zone")) {
        if (const auto zone = r_.string(*z)) {
          itf.zone = *zone;
          itf.zoneWhere = r_.at(z->value);
        }
      }
      if (const auto* a = f.get("address")) loadAddresses(*a, itf);
      if (const auto* d = f.get("device")) {
        itf.device = r_.string(*d).value_or("");
        itf.deviceWhere = r_.at(d->value);
      }
      if (const auto* m = f.get("monitor")) itf.monitor = r_.boolean(*m).value_or(false);
      if (const auto* d = f.get("description")) r_.string(*d);
      c_.interfaces.push_back(std::move(itf));
    }
  }

  void loadRoutes(const yaml::Entry& e) {
    if (e.value.isNull()) return;
    const yaml::Node* list = r_.list(e, /*allowEmpty=*/true);
    if (!list) return;
    for (const auto& item : list->items) {
      if (!item.isMap()) {
        r_.error(item, "each route must be a mapping {to: NETWORK, via: ADDRESS}");
        continue;
      }
      Route route;
      route.where = r_.at(item);
      const Fields f = r_.fields(item, {"to", "via"}, {"to", "via"}, "route");
      bool ok = f.has("to") && f.has("via");
      if (const auto* t = f.get("to")) {
        std::string why;
        const auto text = r_.string(*t);
        const auto p = text ? parsePrefix(*text, &why) : std::nullopt;
        if (text && !p) r_.error(t->value, "invalid route destination '" + *text + "': " + why);
        if (p) route.to = {*p, r_.at(t->value)};
        ok = ok && p.has_value();
      }
      if (const auto* v = f.get("via")) {
        const auto text = r_.string(*v);
        const auto a = text ? parseAddress(*text) : std::nullopt;
        if (text && !a) {
          r_.error(v->value, "invalid route gateway '" + *text + "'; expected an IP address");
        }
        if (a) route.via = {*a, r_.at(v->value)};
        ok = ok && a.has_value();
      }
      if (ok && route.to.value.family != route.via.value.family) {
        r_.error(f.get("via")->value, "route to " + toString(route.to.value) + " via " +
                                          toString(route.via.value) + " mixes IPv4 and IPv6");
        ok = false;
      }
      if (ok) c_.routes.push_back(std::move(route));
    }
  }

  void loadDpdk(const yaml::Entry& e) {
    const yaml::Node* map = r_.mapping(e);
    if (!map) return;
    const Fields f = r_.fields(*map, {"eal"}, {}, "'dpdk'");
    if (const auto* eal = f.get("eal")) {
      if (const yaml::Node* list = r_.list(*eal, /*allowEmpty=*/true)) {
        for (const auto& item : list->items) {
          if (item.isScalar()) {
            c_.dpdkEal.push_back(item.text);
          } else {
            r_.error(item, "each EAL argument must be a string");
          }
        }
      }
    }
  }

  void loadSyslog(const yaml::Node& item) {
    if (!item.isScalar()) {
      r_.error(item, "each syslog target must be a URL string");
      return;
    }
    SyslogTarget t;
    t.url = item.text;
    t.where = r_.at(item);
    const std::string_view u = item.text;
    const std::string bad = "invalid syslog URL '" + item.text +
                            "'; expected udp://HOST:PORT, tcp://HOST:PORT or unix:///PATH";
    if (u.starts_with("unix://")) {
      t.transport = SyslogTarget::Transport::Unix;
      t.path = std::string(u.substr(7));
      if (!t.path.starts_with("/") || t.path.size() < 2) {
        r_.error(item, bad);
        return;
      }
    } else if (u.starts_with("udp://") || u.starts_with("tcp://")) {
      t.transport =
          u.starts_with("udp") ? SyslogTarget::Transport::Udp : SyslogTarget::Transport::Tcp;
      if (!parseHostPort(u.substr(6), /*needPort=*/false, t.host, t.port)) {
        r_.error(item, bad);
        return;
      }
    } else {
      r_.error(item, bad);
      return;
    }
    c_.events.syslog.push_back(std::move(t));
  }

  void loadEvents(const yaml::Entry& e) {
    const yaml::Node* map = r_.mapping(e);
    if (!map) return;
    const Fields f =
        r_.fields(*map, {"syslog", "json", "aggregate_interval", "facility"}, {}, "'events'");
    if (const auto* s = f.get("syslog")) {
      if (const yaml::Node* list = r_.list(*s, /*allowEmpty=*/true))
        for (const auto& item : list->items) loadSyslog(item);
    }
    if (const auto* j = f.get("json")) {
      if (const auto path = r_.string(*j)) {
        if (path->empty()) {
          r_.error(j->value, "'json' must name a file");
        } else {
          c_.events.jsonPath = resolve(*path);
        }
      }
    }
    if (const auto* a = f.get("aggregate_interval")) {
      if (const auto v = r_.integer(*a, 1, 3600)) c_.events.aggregateIntervalSeconds = int(*v);
    }
    if (const auto* fa = f.get("facility")) {
      bool found = false;
      if (fa->value.isScalar()) {
        for (const auto& [name, code] : kFacilities) {
          if (fa->value.text == name) {
            c_.events.facility = std::string(name);
            c_.events.facilityCode = code;
            found = true;
          }
        }
      }
      if (!found) {
        r_.error(fa->value, "invalid syslog facility '" +
                                (fa->value.isScalar() ? fa->value.text : std::string("?")) +
                                "'; expected local0..local7, daemon, auth, authpriv, user, ...");
      }
    }
  }

  void loadMetrics(const yaml::Entry& e) {
    const auto text = r_.string(e);
    if (!text) return;
    MetricsEndpoint m;
    m.where = r_.at(e.value);
    if (!parseHostPort(*text, /*needPort=*/true, m.host, m.port)) {
      r_.error(e.value, "invalid metrics endpoint '" + *text +
                            "'; expected HOST:PORT like 127.0.0.1:9797 or [::1]:9797");
      return;
    }
    m.enabled = true;
    c_.metrics = m;
  }

  void loadRole(const yaml::Entry& e, std::vector<std::string>& out) {
    const yaml::Node* list = r_.list(e, /*allowEmpty=*/true);
    if (!list) return;
    for (const auto& item : list->items) {
      if (item.isScalar() && isAccountName(item.text)) {
        out.push_back(item.text);
      } else {
        r_.error(item, "invalid user or group name '" +
                           (item.isScalar() ? item.text : std::string(yaml::kindName(item.kind))) +
                           "'");
      }
    }
  }

  void loadControl(const yaml::Entry& e) {
    const yaml::Node* map = r_.mapping(e);
    if (!map) return;
    const Fields f = r_.fields(*map, {"socket", "roles"}, {}, "'control'");
    if (const auto* s = f.get("socket")) {
      if (const auto path = r_.string(*s)) {
        if (!path->starts_with("/") || path->size() > 107) {
          r_.error(s->value, "'socket' must be an absolute path of at most 107 characters");
        } else {
          c_.control.socketPath = *path;
        }
      }
    }
    if (const auto* ro = f.get("roles")) {
      if (const yaml::Node* roles = r_.mapping(*ro)) {
        const Fields rf = r_.fields(*roles, {"admin", "officer", "auditor"}, {}, "'roles'");
        if (const auto* a = rf.get("admin")) loadRole(*a, c_.control.admins);
        if (const auto* o = rf.get("officer")) loadRole(*o, c_.control.officers);
        if (const auto* au = rf.get("auditor")) loadRole(*au, c_.control.auditors);
      }
    }
  }

  void loadFlows(const yaml::Entry& e) {
    const yaml::Node* map = r_.mapping(e);
    if (!map) return;
    const Fields f = r_.fields(*map, {"max"}, {"max"}, "'flows'");
    if (const auto* m = f.get("max")) {
      if (const auto v = r_.integer(*m, 1, kMaxFlowLimit)) {
        c_.flows.max = static_cast<uint32_t>(*v);
        c_.flows.where = r_.at(m->value);
      }
    }
  }

  YamlReader& r_;
  GatewayConfig& c_;
};

}  // namespace

GatewayConfig loadGatewayConfigText(std::string_view text, const std::string& fileName,
                                    Diagnostics& diags) {
  GatewayConfig config;
  config.file = fileName;
  const yaml::ParseResult parsed = yaml::parse(text, fileName, diags);
  if (!parsed.ok) return config;
  YamlReader r(fileName, diags);
  if (parsed.root.isNull()) {
    r.error(parsed.root, "empty gateway config file");
    return config;
  }
  if (!parsed.root.isMap()) {
    r.error(parsed.root,
            "a gateway config must be a mapping with version, name, policy, backend "
            "and interfaces");
    return config;
  }
  GatewayLoader(r, config).load(parsed.root);
  return config;
}

GatewayConfig loadGatewayConfigFile(const std::string& path, Diagnostics& diags) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error(Location{path, 0, 0},
                std::string("cannot read gateway config file: ") + std::strerror(errno));
    GatewayConfig c;
    c.file = path;
    return c;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return loadGatewayConfigText(buf.str(), path, diags);
}

}  // namespace isogate::policy
