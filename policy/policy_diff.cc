#include "policy/policy_diff.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <tuple>

#include "policy/evaluate.h"
#include "policy/policy_text.h"
#include "policy/rule_match.h"

namespace isogate::policy {

namespace {

constexpr int kWeekMinutes = 7 * 1440;

// ---- the cells --------------------------------------------------------------

struct AddressCell {
  Family family;
  U128 first, last;
  int zone[2];  // zone index in the old [0] and new [1] policy, -1 = none
};

struct ProtoCell {
  uint8_t proto = 0;
  uint16_t portFirst = 0, portLast = 65535;  // tcp/udp
  int icmpType = -1;                         // icmp/icmpv6 single named type
  bool otherIcmp = false;                    // icmp/icmpv6 types no policy names
  bool otherProto = false;                   // protocols no policy names
};

struct TimeCell {
  int first, last;  // week minutes [first, last), never across midnight
};

U128 familyMax(Family f) { return f == Family::V4 ? U128{0xffffffffu} : ~U128{0}; }

std::vector<AddressCell> addressCells(const Policy* p[2], Family fam) {
  std::set<U128> starts{0};
  const U128 max = familyMax(fam);
  auto add = [&](const Prefix& pr) {
    if (pr.family != fam) return;
    starts.insert(pr.first());
    if (pr.last() != max) starts.insert(pr.last() + 1);
  };
  for (int i = 0; i < 2; ++i) {
    for (const auto& z : p[i]->zones)
      for (const auto& n : z.networks) add(n.value);
    for (const auto& r : p[i]->rules) {
      for (const auto& n : r.from.networks) add(n.value);
      for (const auto& n : r.to.networks) add(n.value);
    }
  }
  std::vector<AddressCell> out;
  for (auto it = starts.begin(); it != starts.end(); ++it) {
    auto next = std::next(it);
    AddressCell c{fam, *it, next == starts.end() ? max : *next - 1, {-1, -1}};
    for (int i = 0; i < 2; ++i) c.zone[i] = findZoneOf(*p[i], IpAddress{fam, c.first}).zone;
    out.push_back(c);
  }
  return out;
}

void collectTerms(const Policy& p, std::vector<const ServiceTerm*>& out) {
  for (const auto& s : p.services)
    for (const auto& t : s.terms) out.push_back(&t);
  for (const auto& r : p.rules)
    for (const auto& ref : r.services)
      for (const auto& t : ref.inlineTerms) out.push_back(&t);
}

std::vector<ProtoCell> protoCells(const Policy* p[2]) {
  std::vector<const ServiceTerm*> terms;
  collectTerms(*p[0], terms);
  collectTerms(*p[1], terms);
  std::vector<ProtoCell> out;
  for (uint8_t proto : {kProtoTcp, kProtoUdp}) {
    std::set<uint32_t> starts{0};
    for (const auto* t : terms) {
      if (t->protocol != proto) continue;
      for (const auto& r : t->ports) {
        starts.insert(r.first);
        if (r.last < 65535) starts.insert(uint32_t{r.last} + 1);
      }
    }
    for (auto it = starts.begin(); it != starts.end(); ++it) {
      auto next = std::next(it);
      ProtoCell c;
      c.proto = proto;
      c.portFirst = static_cast<uint16_t>(*it);
      c.portLast = static_cast<uint16_t>(next == starts.end() ? 65535 : *next - 1);
      out.push_back(c);
    }
  }
  for (uint8_t proto : {kProtoIcmp, kProtoIcmpv6}) {
    std::set<int> named;
    for (const auto* t : terms)
      if (t->protocol == proto) named.insert(t->icmpTypes.begin(), t->icmpTypes.end());
    for (int type : named) {
      ProtoCell c;
      c.proto = proto;
      c.icmpType = type;
      out.push_back(c);
    }
    for (int type = 0; type < 256; ++type) {
      if (named.count(type)) continue;
      ProtoCell c;
      c.proto = proto;
      c.icmpType = type;  // the representative of every unnamed type
      c.otherIcmp = true;
      out.push_back(c);
      break;
    }
  }
  std::set<int> namedProtos{kProtoTcp, kProtoUdp, kProtoIcmp, kProtoIcmpv6};
  for (const auto* t : terms) {
    if (namedProtos.insert(t->protocol).second) {
      ProtoCell c;
      c.proto = t->protocol;
      out.push_back(c);
    }
  }
  for (int cand : {47, 50, 132, 0, 2, 3, 4, 5, 7, 8, 9, 10}) {
    if (namedProtos.count(cand)) continue;
    ProtoCell c;
    c.proto = static_cast<uint8_t>(cand);
    c.otherProto = true;
    out.push_back(c);
    break;
  }
  return out;
}

std::vector<TimeCell> timeCells(const Policy* p[2]) {
  std::set<int> bounds;
  for (int i = 0; i < 2; ++i) {
    for (const auto& r : p[i]->rules) {
      if (!r.schedule) continue;
      const Schedule& s = *r.schedule;
      for (int d = 0; d < 7; ++d) {
        if (!((s.days >> d) & 1)) continue;
        bounds.insert(d * 1440 + s.startMinute);
        const int end =
            s.startMinute < s.endMinute ? d * 1440 + s.endMinute : (d + 1) * 1440 + s.endMinute;
        bounds.insert(end % kWeekMinutes);
      }
    }
  }
  if (bounds.empty()) return {};
  for (int d = 0; d < 7; ++d) bounds.insert(d * 1440);  // cells never cross midnight: simpler text
  std::vector<TimeCell> out;
  for (auto it = bounds.begin(); it != bounds.end(); ++it) {
    auto next = std::next(it);
    out.push_back({*it, next == bounds.end() ? kWeekMinutes : *next});
  }
  return out;
}

// ---- text -------------------------------------------------------------------

std::vector<Prefix> rangeToPrefixes(Family fam, U128 a, U128 b) {
  std::vector<Prefix> out;
  const int bits = familyBits(fam);
  while (true) {
    int len = 0;
    for (; len < bits; ++len) {
      const int hostBits = bits - len;
      const U128 mask = hostBits == 128 ? ~U128{0} : (U128{1} << hostBits) - 1;
      if ((a & mask) == 0 && b - a >= mask) break;
    }
    out.push_back(Prefix{fam, a, static_cast<uint8_t>(len)});
    const int hostBits = bits - len;
    const U128 last = hostBits == 128 ? ~U128{0} : a + ((U128{1} << hostBits) - 1);
    if (last >= b) break;
    a = last + 1;
  }
  return out;
}

std::string addressText(const std::vector<AddressCell>& cells, const std::vector<int>& idx) {
  std::string out;
  size_t i = 0;
  while (i < idx.size()) {
    size_t j = i;
    while (j + 1 < idx.size() && idx[j + 1] == idx[j] + 1) ++j;
    for (const auto& p :
         rangeToPrefixes(cells[idx[i]].family, cells[idx[i]].first, cells[idx[j]].last)) {
      if (!out.empty()) out += ", ";
      out += toString(p);
    }
    i = j + 1;
  }
  return out;
}

std::string timeText(const std::vector<TimeCell>& cells, const std::set<int>& idx) {
  std::vector<std::vector<std::pair<int, int>>> perDay(7);
  for (int i : idx) {
    const int day = cells[i].first / 1440;
    auto& v = perDay[day];
    const int a = cells[i].first % 1440, b = cells[i].last - day * 1440;
    if (!v.empty() && v.back().second == a) {
      v.back().second = b;
    } else {
      v.push_back({a, b});
    }
  }
  std::vector<std::pair<std::vector<std::pair<int, int>>, uint8_t>> groups;
  for (int d = 0; d < 7; ++d) {
    if (perDay[d].empty()) continue;
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.first == perDay[d]; });
    if (it == groups.end()) {
      groups.push_back({perDay[d], static_cast<uint8_t>(1u << d)});
    } else {
      it->second = static_cast<uint8_t>(it->second | (1u << d));
    }
  }
  std::string out;
  for (const auto& [ranges, days] : groups) {
    if (!out.empty()) out += ", ";
    out += formatDays(days);
    for (size_t k = 0; k < ranges.size(); ++k) {
      out += k ? "," : " ";
      if (!(ranges[k].first == 0 && ranges[k].second == 1440))
        out += formatMinute(ranges[k].first) + '-' + formatMinute(ranges[k].second);
      else
        out += "all day";
    }
  }
  return out;
}

std::vector<std::string> serviceTexts(const std::vector<ProtoCell>& cells,
                                      const std::set<int>& idx) {
  if (idx.size() == cells.size()) return {"any"};
  std::vector<std::string> out;
  std::map<uint8_t, std::vector<int>> byProto;
  std::map<uint8_t, int> cellsOfProto;
  for (size_t i = 0; i < cells.size(); ++i)
    if (!cells[i].otherProto) ++cellsOfProto[cells[i].proto];
  for (int i : idx) {
    if (cells[i].otherProto) continue;
    byProto[cells[i].proto].push_back(i);
  }
  for (const auto& [proto, list] : byProto) {
    std::string name = protocolName(proto);
    const bool whole = static_cast<int>(list.size()) == cellsOfProto[proto];
    if (proto == kProtoTcp || proto == kProtoUdp) {
      if (whole) {
        out.push_back(name);
        continue;
      }
      std::string ports;
      size_t i = 0;
      while (i < list.size()) {
        size_t j = i;
        while (j + 1 < list.size() && list[j + 1] == list[j] + 1) ++j;
        if (!ports.empty()) ports += ',';
        ports += formatPortRange({cells[list[i]].portFirst, cells[list[j]].portLast});
        i = j + 1;
      }
      out.push_back(name + '/' + ports);
    } else if (proto == kProtoIcmp || proto == kProtoIcmpv6) {
      if (whole) {
        out.push_back(name);
        continue;
      }
      std::string types;
      for (int i : list) {
        if (!types.empty()) types += ',';
        types += cells[i].otherIcmp ? std::string("other-types")
                                    : icmpTypeName(proto, static_cast<uint8_t>(cells[i].icmpType));
      }
      out.push_back(name + '/' + types);
    } else {
      out.push_back("proto " + std::to_string(proto));
    }
  }
  for (int i : idx)
    if (cells[i].otherProto) out.push_back("other protocols");
  return out;
}

// ---- structural changes -----------------------------------------------------

std::string networksText(const Zone& z) {
  std::string out;
  if (z.isAny) out = "any";
  for (const auto& n : z.networks) out += (out.empty() ? "" : ", ") + toString(n.value);
  return out;
}

void structuralChanges(const Policy& o, const Policy& n, std::vector<std::string>& out) {
  if (o.name != n.name) out.push_back("~ policy name: " + o.name + " -> " + n.name);
  for (const auto& z : o.zones)
    if (!n.findZone(z.name)) out.push_back("- zone " + z.name);
  for (const auto& z : n.zones) {
    const Zone* old = o.findZone(z.name);
    if (!old) {
      out.push_back("+ zone " + z.name + " (" + levelName(z.level) + ": " + networksText(z) + ")");
      continue;
    }
    if (old->level != z.level)
      out.push_back("~ zone " + z.name + " level: " + levelName(old->level) + " -> " +
                    levelName(z.level));
    std::string nets;
    for (const auto& net : z.networks) {
      if (std::none_of(old->networks.begin(), old->networks.end(),
                       [&](const auto& x) { return x.value == net.value; }))
        nets += " +" + toString(net.value);
    }
    for (const auto& net : old->networks) {
      if (std::none_of(z.networks.begin(), z.networks.end(),
                       [&](const auto& x) { return x.value == net.value; }))
        nets += " -" + toString(net.value);
    }
    if (old->isAny != z.isAny) nets += z.isAny ? " +any" : " -any";
    if (!nets.empty()) out.push_back("~ zone " + z.name + " networks:" + nets);
    if (old->intraZoneAllow != z.intraZoneAllow)
      out.push_back("~ zone " + z.name +
                    " intra_zone: " + (old->intraZoneAllow ? "allow" : "deny") + " -> " +
                    (z.intraZoneAllow ? "allow" : "deny"));
  }
  for (size_t a = 0; a < n.zones.size(); ++a) {
    for (size_t b = a + 1; b < n.zones.size(); ++b) {
      const std::string &za = n.zones[a].name, &zb = n.zones[b].name;
      const IsolationMode now = n.isolation(za, zb);
      if (o.findZone(za) && o.findZone(zb)) {
        const IsolationMode before = o.isolation(za, zb);
        if (before != now)
          out.push_back("~ isolation " + za + " <-> " + zb + ": " + modeName(before) + " -> " +
                        modeName(now));
      } else {
        out.push_back("+ isolation " + za + " <-> " + zb + ": " + modeName(now));
      }
    }
  }
}

}  // namespace

PolicyDiff diffPolicies(const Policy& oldPolicy, const Policy& newPolicy) {
  const Policy* p[2] = {&oldPolicy, &newPolicy};
  PolicyDiff diff;
  structuralChanges(oldPolicy, newPolicy, diff.structural);

  const std::vector<ProtoCell> protos = protoCells(p);
  const std::vector<TimeCell> times = timeCells(p);

  auto zname = [&](int i, int z) { return z >= 0 ? p[i]->zones[z].name : std::string(); };

  // A change found in one cell; t = -1 means "at every time".
  struct Hit {
    int s, d, c, t;
  };
  // Line key: opened, from zone, to zone, deciding rule, the other side's rule.
  using Key = std::tuple<bool, int, int, int, int>;

  std::map<Key, std::vector<std::tuple<int, Hit>>> hits;  // value: (family index, hit)
  std::vector<AddressCell> cellsOf[2] = {addressCells(p, Family::V4), addressCells(p, Family::V6)};

  // Address cells that no rule of either policy tells apart behave alike: group
  // them into classes (zones in both policies + which rules' from/to networks
  // hold them) and evaluate one representative pair of classes. Within a class
  // pair only the "candidate" rules (zones and networks fit) can decide, so
  // protocol cells that the same candidates cover share one evaluation.
  auto signature = [&](const AddressCell& c, bool source) {
    std::string sig = std::to_string(c.zone[0]) + ',' + std::to_string(c.zone[1]) + ':';
    const IpAddress a{c.family, c.first};
    for (int i = 0; i < 2; ++i) {
      for (const auto& r : p[i]->rules) {
        const auto& nets = source ? r.from.networks : r.to.networks;
        bool in = nets.empty();
        for (const auto& n : nets) in = in || n.value.contains(a);
        sig += in ? '1' : '0';
      }
    }
    return sig;
  };

  for (int f = 0; f < 2; ++f) {
    const auto& cells = cellsOf[f];
    std::map<std::string, std::vector<int>> srcClasses, dstClasses;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (cells[i].zone[0] < 0 && cells[i].zone[1] < 0) continue;  // denied by both, always
      srcClasses[signature(cells[i], true)].push_back(static_cast<int>(i));
      dstClasses[signature(cells[i], false)].push_back(static_cast<int>(i));
    }
    for (const auto& [srcSig, srcCells] : srcClasses) {
      const AddressCell& sc = cells[srcCells.front()];
      for (const auto& [dstSig, dstCells] : dstClasses) {
        const AddressCell& dc = cells[dstCells.front()];
        // The candidate rules of each policy for this class pair.
        std::vector<const Rule*> candidates[2];
        bool timed = false;
        for (int i = 0; i < 2; ++i) {
          const std::string from = zname(i, sc.zone[i]), to = zname(i, dc.zone[i]);
          const size_t offset = srcSig.find(':') + 1 + (i == 0 ? 0 : p[0]->rules.size());
          const size_t dstOffset = dstSig.find(':') + 1 + (i == 0 ? 0 : p[0]->rules.size());
          for (size_t r = 0; r < p[i]->rules.size(); ++r) {
            const Rule& rule = p[i]->rules[r];
            if (rule.from.zone != from || rule.to.zone != to) continue;
            if (srcSig[offset + r] != '1' || dstSig[dstOffset + r] != '1') continue;
            candidates[i].push_back(&rule);
            timed |= rule.schedule.has_value() && !times.empty();
          }
        }
        const int tcount = timed ? static_cast<int>(times.size()) : 1;
        // Verdict pairs per time, memoised by which candidates cover the service.
        std::map<std::vector<bool>, std::vector<std::pair<Verdict, Verdict>>> memo;
        PacketKey key;
        key.src = IpAddress{sc.family, sc.first};
        key.dst = IpAddress{dc.family, dc.first};
        for (size_t c = 0; c < protos.size(); ++c) {
          key.protocol = protos[c].proto;
          const bool ports = key.protocol == kProtoTcp || key.protocol == kProtoUdp;
          key.dport = ports ? protos[c].portFirst : 0;
          key.sport = ports ? 40000 : 0;
          key.icmpType = protos[c].icmpType;
          std::vector<bool> covered;
          for (int i = 0; i < 2; ++i)
            for (const Rule* r : candidates[i]) covered.push_back(servicesCover(*p[i], *r, key));
          auto it = memo.find(covered);
          if (it == memo.end()) {
            std::vector<std::pair<Verdict, Verdict>> verdicts;
            for (int t = 0; t < tcount; ++t) {
              LocalTime at;
              if (timed) {
                at.weekday = static_cast<uint8_t>(times[t].first / 1440);
                at.minute = static_cast<uint16_t>(times[t].first % 1440);
              }
              verdicts.push_back(
                  {evaluatePolicy(oldPolicy, key, at), evaluatePolicy(newPolicy, key, at)});
            }
            it = memo.emplace(covered, std::move(verdicts)).first;
          }
          for (int t = 0; t < tcount; ++t) {
            const auto& [vo, vn] = it->second[t];
            if (vo.allow == vn.allow) continue;
            const bool opened = vn.allow;
            const Verdict& v = opened ? vn : vo;
            const Verdict& other = opened ? vo : vn;
            auto& list = hits[Key{opened, v.fromZone, v.toZone, v.rule, other.rule}];
            for (int s : srcCells)
              for (int d : dstCells)
                list.push_back({f, Hit{s, d, static_cast<int>(c), timed ? t : -1}});
          }
        }
      }
    }
  }

  // Zone membership of every address cell, per policy and family, to tell "the whole zone".
  auto zoneCells = [&](int pol, int f, int zone) {
    std::vector<int> out;
    for (size_t i = 0; i < cellsOf[f].size(); ++i)
      if (cellsOf[f][i].zone[pol] == zone) out.push_back(static_cast<int>(i));
    return out;
  };

  // How one side of a line names its addresses: the whole zone, the zone
  // except some networks, or only some networks.
  enum class Mode { Whole, Except, Only };
  struct Side {
    Mode mode = Mode::Whole;
    std::string text;  // the networks of Except/Only
  };
  auto describeSide = [&](int pol, int f, int zone, const std::vector<int>& set) {
    const std::vector<int> all = zoneCells(pol, f, zone);
    if (set == all) return Side{};
    std::vector<int> rest;
    std::set_difference(all.begin(), all.end(), set.begin(), set.end(), std::back_inserter(rest));
    const std::string only = addressText(cellsOf[f], set);
    // The complement reads better when it is shorter (e.g. "internet except a blocklist").
    if (std::includes(all.begin(), all.end(), set.begin(), set.end())) {
      const std::string except = addressText(cellsOf[f], rest);
      if (std::count(except.begin(), except.end(), ',') <
          std::count(only.begin(), only.end(), ',')) {
        return Side{Mode::Except, except};
      }
    }
    return Side{Mode::Only, only};
  };

  struct Line {
    ReachabilityChange change;
    int fromIdx, toIdx, fam;
    Side src, dst;
  };
  std::vector<Line> lines;

  for (const auto& [key, list] : hits) {
    const auto& [opened, fromZ, toZ, rule, otherRule] = key;
    const int pol = opened ? 1 : 0;
    // A: services per (family, s, d, t).
    std::map<std::tuple<int, int, int, int>, std::set<int>> byCell;
    for (const auto& [f, h] : list) byCell[{f, h.s, h.d, h.t}].insert(h.c);
    // B: sources per (family, service, d, t).
    std::map<std::tuple<int, std::string, int, int>, std::vector<int>> bySrc;
    for (const auto& [k, cs] : byCell) {
      const auto& [f, s, d, t] = k;
      for (const auto& svc : serviceTexts(protos, cs)) bySrc[{f, svc, d, t}].push_back(s);
    }
    // C: destinations per (family, service, sources, t).
    std::map<std::tuple<int, std::string, std::vector<int>, int>, std::vector<int>> byDst;
    for (auto& [k, srcs] : bySrc) {
      const auto& [f, svc, d, t] = k;
      std::sort(srcs.begin(), srcs.end());
      byDst[{f, svc, srcs, t}].push_back(d);
    }
    // D: times per (family, service, sources, destinations).
    std::map<std::tuple<int, std::string, std::vector<int>, std::vector<int>>, std::set<int>>
        byTime;
    for (auto& [k, dsts] : byDst) {
      const auto& [f, svc, srcs, t] = k;
      std::sort(dsts.begin(), dsts.end());
      byTime[{f, svc, srcs, dsts}].insert(t);
    }
    for (const auto& [k, ts] : byTime) {
      const auto& [f, svc, srcs, dsts] = k;
      Line line;
      line.fam = f;
      line.fromIdx = fromZ;
      line.toIdx = toZ;
      ReachabilityChange& c = line.change;
      c.opened = opened;
      c.fromZone = fromZ >= 0 ? p[pol]->zones[fromZ].name : "(none)";
      c.toZone = toZ >= 0 ? p[pol]->zones[toZ].name : "(none)";
      c.service = svc;
      line.src = describeSide(pol, f, fromZ, srcs);
      line.dst = describeSide(pol, f, toZ, dsts);
      if (!ts.count(-1) && ts.size() != times.size()) c.when = timeText(times, ts);
      if (rule >= 0) {
        c.rule = p[pol]->rules[rule].name;
        c.ref = p[pol]->rules[rule].ref;
      }
      if (otherRule >= 0) c.otherRule = p[1 - pol]->rules[otherRule].name;
      lines.push_back(std::move(line));
    }
  }

  // One line for both families where the sides combine; otherwise say which
  // family changed when that is not evident from the networks shown.
  auto combine = [](const Side& a, const Side& b, Side& out) {
    auto join = [](const std::string& x, const std::string& y) {
      return x.empty() ? y : y.empty() ? x : x + ", " + y;
    };
    if (a.mode == Mode::Whole && b.mode == Mode::Whole) {
      out = Side{};
    } else if (a.mode != Mode::Only && b.mode != Mode::Only) {
      out = Side{Mode::Except, join(a.text, b.text)};
    } else if (a.mode == Mode::Only && b.mode == Mode::Only) {
      out = Side{Mode::Only, join(a.text, b.text)};
    } else {
      return false;
    }
    return true;
  };
  std::vector<bool> drop(lines.size(), false);
  for (size_t i = 0; i < lines.size(); ++i) {
    Line& a = lines[i];
    if (drop[i]) continue;
    const int pol = a.change.opened ? 1 : 0;
    const int other = 1 - a.fam;
    bool partner = false;
    for (size_t j = i + 1; j < lines.size() && !partner; ++j) {
      const Line& b = lines[j];
      if (drop[j] || b.fam != other) continue;
      const auto& x = a.change;
      const auto& y = b.change;
      if (!(x.opened == y.opened && x.fromZone == y.fromZone && x.toZone == y.toZone &&
            x.service == y.service && x.when == y.when && x.rule == y.rule &&
            x.otherRule == y.otherRule)) {
        continue;
      }
      Side src, dst;
      const Line& v4 = a.fam == 0 ? a : b;
      const Line& v6 = a.fam == 0 ? b : a;
      if (!combine(v4.src, v6.src, src) || !combine(v4.dst, v6.dst, dst)) continue;
      a.src = src;
      a.dst = dst;
      drop[j] = true;
      partner = true;
    }
    const bool evident = a.src.mode == Mode::Only || a.dst.mode == Mode::Only;
    const bool otherFamilyExists =
        !zoneCells(pol, other, a.fromIdx).empty() && !zoneCells(pol, other, a.toIdx).empty();
    if (!partner && !evident && otherFamilyExists) a.change.family = a.fam == 0 ? "IPv4" : "IPv6";
    auto text = [&](const Side& side, const std::string& zone) {
      if (side.mode == Mode::Whole) return std::string();
      if (side.mode == Mode::Except) return zone + " except " + side.text;
      return side.text;
    };
    a.change.from = text(a.src, a.change.fromZone);
    a.change.to = text(a.dst, a.change.toZone);
  }

  // Order: by zone pair as the new policy lists zones, then + before -, then service.
  auto zoneRank = [&](const std::string& name) {
    for (size_t i = 0; i < newPolicy.zones.size(); ++i)
      if (newPolicy.zones[i].name == name) return static_cast<int>(i);
    for (size_t i = 0; i < oldPolicy.zones.size(); ++i)
      if (oldPolicy.zones[i].name == name) return 1000 + static_cast<int>(i);
    return 2000;
  };
  std::vector<ReachabilityChange> out;
  for (size_t i = 0; i < lines.size(); ++i)
    if (!drop[i]) out.push_back(lines[i].change);
  std::stable_sort(out.begin(), out.end(),
                   [&](const ReachabilityChange& a, const ReachabilityChange& b) {
                     return std::make_tuple(zoneRank(a.fromZone), zoneRank(a.toZone), !a.opened,
                                            a.service, a.from, a.to, a.when) <
                            std::make_tuple(zoneRank(b.fromZone), zoneRank(b.toZone), !b.opened,
                                            b.service, b.from, b.to, b.when);
                   });
  diff.changes = std::move(out);
  return diff;
}

std::string formatChange(const ReachabilityChange& c) {
  std::string out = c.opened ? "+ " : "- ";
  out += c.fromZone + " -> " + c.toZone + "  " + c.service;
  if (!c.from.empty()) out += " from " + c.from;
  if (!c.to.empty()) out += " to " + c.to;
  if (!c.family.empty()) out += " (" + c.family + " only)";
  if (!c.when.empty()) out += " during " + c.when;
  std::string why;
  if (c.opened) {
    why = c.rule.empty() ? std::string("intra_zone allow") : "rule '" + c.rule + "'";
    if (!c.ref.empty()) why += ' ' + c.ref;
    if (!c.otherRule.empty()) why += "; was denied by rule '" + c.otherRule + "'";
  } else {
    why = c.rule.empty() ? std::string("was intra_zone allow") : "was rule '" + c.rule + "'";
    if (!c.otherRule.empty()) why += "; now denied by rule '" + c.otherRule + "'";
  }
  out += "  (" + why + ")";
  return out;
}

std::string formatDiff(const PolicyDiff& diff) {
  std::string out;
  for (const auto& s : diff.structural) out += s + '\n';
  for (const auto& c : diff.changes) out += formatChange(c) + '\n';
  if (diff.changes.empty()) out += "no change in reachability\n";
  return out;
}

nlohmann::json diffToJson(const PolicyDiff& diff) {
  using nlohmann::json;
  json j;
  j["changed"] = !diff.empty();
  j["structural"] = diff.structural;
  json list = json::array();
  auto orNull = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  for (const auto& c : diff.changes) {
    json o;
    o["change"] = c.opened ? "opened" : "closed";
    o["from_zone"] = c.fromZone;
    o["to_zone"] = c.toZone;
    o["service"] = c.service;
    o["from"] = orNull(c.from);
    o["to"] = orNull(c.to);
    o["family"] = orNull(c.family);
    o["when"] = orNull(c.when);
    o["rule"] = orNull(c.rule);
    o["ref"] = orNull(c.ref);
    o[c.opened ? "was_rule" : "now_rule"] = orNull(c.otherRule);
    o["text"] = formatChange(c);
    list.push_back(o);
  }
  j["reachability"] = list;
  return j;
}

}  // namespace isogate::policy
