#include "policy/nft_ruleset.h"

#include <sys/time.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <utility>

#include "policy/nft_schedule.h"

namespace isogate::policy {

namespace {

U128 familyMax(Family f) { return f == Family::V4 ? U128{0xffffffffu} : ~U128{0}; }

NftInterval intervalOf(const Prefix& p) { return {p.first(), p.last()}; }

NftVerdict jumpTo(std::string chain) { return {NftVerdictKind::Jump, std::move(chain)}; }
NftVerdict accept() { return {NftVerdictKind::Accept, {}}; }
NftVerdict drop() { return {NftVerdictKind::Drop, {}}; }

NftMatch valueMatch(NftField field, U128 first, U128 last, bool negate = false) {
  NftMatch m;
  m.field = field;
  m.negate = negate;
  m.values.push_back({first, last});
  return m;
}

NftMatch ctState(uint32_t mask) {
  NftMatch m;
  m.field = NftField::CtState;
  m.mask = mask;
  return m;
}

NftMatch ifName(NftField field, const std::string& name) {
  NftMatch m;
  m.field = field;
  m.text = name;
  return m;
}

NftMatch setMatch(NftField field, std::string set, bool negate) {
  NftMatch m;
  m.field = field;
  m.setName = std::move(set);
  m.negate = negate;
  return m;
}

NftMatch nfproto(Family f) {
  const uint8_t v = f == Family::V4 ? kNfprotoIpv4 : kNfprotoIpv6;
  return valueMatch(NftField::NfProto, v, v);
}

NftField saddrField(Family f) { return f == Family::V4 ? NftField::Saddr4 : NftField::Saddr6; }
NftField daddrField(Family f) { return f == Family::V4 ? NftField::Daddr4 : NftField::Daddr6; }
const char* famSuffix(Family f) { return f == Family::V4 ? "v4" : "v6"; }
constexpr Family kFamilies[] = {Family::V4, Family::V6};

NftRule logDrop(std::vector<NftMatch> matches, uint16_t group, std::string prefix, std::string comment,
                std::string counter = {}) {
  NftRule r;
  r.matches = std::move(matches);
  r.counter = std::move(counter);
  r.log = NftLog{group, std::move(prefix)};
  r.verdict = drop();
  r.comment = std::move(comment);
  return r;
}

// Sorts and merges overlapping intervals (adjacent ones stay apart, so
// prefixes keep their readable form).
std::vector<NftInterval> normalise(std::vector<NftInterval> v) {
  std::sort(v.begin(), v.end(), [](const NftInterval& a, const NftInterval& b) { return a.first < b.first; });
  std::vector<NftInterval> out;
  for (const auto& i : v) {
    if (!out.empty() && i.first <= out.back().last) {
      out.back().last = std::max(out.back().last, i.last);
    } else {
      out.push_back(i);
    }
  }
  return out;
}

// Which addresses of one family belong to each zone: the prefix table, and
// for the `any` zone everything the table leaves out.
class ZoneSpace {
 public:
  ZoneSpace(const CompiledPolicy& p, Family f) : zones_(p.zones.size()) {
    const auto& table = f == Family::V4 ? p.prefixes4 : p.prefixes6;
    U128 next = 0;
    bool done = false;  // the previous prefix reached the family's maximum
    for (const auto& zp : table) {
      if (p.anyZone >= 0 && !done && zp.prefix.first() > next)
        add(static_cast<uint16_t>(p.anyZone), {next, zp.prefix.first() - 1});
      add(zp.zone, intervalOf(zp.prefix));
      if (zp.prefix.last() == familyMax(f)) done = true;
      next = zp.prefix.last() + 1;
    }
    if (p.anyZone >= 0 && !done) add(static_cast<uint16_t>(p.anyZone), {next, familyMax(f)});
    std::sort(all_.begin(), all_.end(), [](const auto& a, const auto& b) { return a.first.first < b.first.first; });
  }
  const std::vector<NftInterval>& of(uint16_t zone) const { return zones_[zone]; }
  const std::vector<std::pair<NftInterval, uint16_t>>& all() const { return all_; }

 private:
  void add(uint16_t zone, NftInterval i) {
    zones_[zone].push_back(i);
    all_.push_back({i, zone});
  }
  std::vector<std::vector<NftInterval>> zones_;
  std::vector<std::pair<NftInterval, uint16_t>> all_;
};

// One protocol piece of a match term: a protocol range, and for a single
// protocol that has them, a port or ICMP type range.
struct ProtoPiece {
  uint8_t first = 0, last = 255;
  std::optional<std::pair<uint16_t, uint16_t>> ports;
  std::optional<std::pair<uint8_t, uint8_t>> icmp;
};

std::vector<ProtoPiece> protoPieces(const MatchTerm& t) {
  const bool allPorts = t.portFirst == 0 && t.portLast == 65535;
  const bool allIcmp = t.icmpFirst == 0 && t.icmpLast == 255;
  std::vector<ProtoPiece> out;
  int runStart = t.protoFirst;
  auto flush = [&](int upTo) {
    if (runStart <= upTo) out.push_back({static_cast<uint8_t>(runStart), static_cast<uint8_t>(upTo), {}, {}});
  };
  for (int p = t.protoFirst; p <= t.protoLast; ++p) {
    const bool ported = (p == kProtoTcp || p == kProtoUdp) && !allPorts;
    const bool typed = (p == kProtoIcmp || p == kProtoIcmpv6) && !allIcmp;
    if (!ported && !typed) continue;
    flush(p - 1);
    ProtoPiece piece{static_cast<uint8_t>(p), static_cast<uint8_t>(p), {}, {}};
    if (ported) piece.ports = std::pair{t.portFirst, t.portLast};
    if (typed) piece.icmp = std::pair{t.icmpFirst, t.icmpLast};
    out.push_back(piece);
    runStart = p + 1;
  }
  flush(t.protoLast);
  return out;
}

std::vector<NftMatch> protoMatches(const ProtoPiece& piece) {
  std::vector<NftMatch> m;
  if (piece.first != 0 || piece.last != 255) m.push_back(valueMatch(NftField::L4Proto, piece.first, piece.last));
  if (piece.ports) m.push_back(valueMatch(NftField::ThDport, piece.ports->first, piece.ports->second));
  if (piece.icmp) {
    const NftField f = piece.first == kProtoIcmp ? NftField::IcmpType : NftField::Icmpv6Type;
    m.push_back(valueMatch(f, piece.icmp->first, piece.icmp->second));
  }
  return m;
}

// Up to this many address alternatives (src x dst prefixes) of a rule become
// separate nft rules; beyond that a side becomes one anonymous set. A set costs the kernel far more to create than a
// few rules (measured: docs/PERFORMANCE.md), and most rules list few networks.
constexpr size_t kMaxExpandedPrefixes = 16;

// The address part of a rule for one family: nullopt when the rule cannot
// match this family at all; else the alternatives (each one nft rule's
// address matches; one empty alternative = whole zones).
std::optional<std::vector<std::vector<NftMatch>>> addressMatches(const CompiledRule& r, Family f) {
  std::vector<std::vector<NftMatch>> out{{}};
  const std::vector<Prefix>* lists[] = {&r.src, &r.dst};
  for (int side = 0; side < 2; ++side) {
    const auto& list = *lists[side];
    if (list.empty()) continue;
    std::vector<NftInterval> v;
    bool whole = false;
    for (const auto& p : list) {
      if (p.family != f) continue;
      if (p.length == 0) whole = true;
      v.push_back(intervalOf(p));
    }
    if (v.empty()) return std::nullopt;
    if (whole) continue;
    v = normalise(std::move(v));
    const NftField field = side == 0 ? saddrField(f) : daddrField(f);
    std::vector<NftMatch> options;
    if (v.size() * out.size() <= kMaxExpandedPrefixes) {
      for (const auto& i : v) options.push_back(valueMatch(field, i.first, i.last));
    } else {
      NftMatch m;
      m.field = field;
      m.values = std::move(v);
      options.push_back(std::move(m));
    }
    std::vector<std::vector<NftMatch>> next;
    for (const auto& prefix : out)
      for (const auto& o : options) {
        next.push_back(prefix);
        next.back().push_back(o);
      }
    out = std::move(next);
  }
  return out;
}

std::string zoneName(const CompiledPolicy& p, uint16_t z) { return p.zones[z].name; }

class Builder {
 public:
  Builder(const CompiledPolicy& p, const NftBuildOptions& o) : p_(p), o_(o), space4_(p, Family::V4), space6_(p, Family::V6) {}

  NftRuleset build() {
    rs_.policyName = p_.name;
    rs_.policyDigest = p_.digest;
    addCounters();
    addSets();
    addForward();
    addInput();
    addOutput();
    for (uint16_t a = 0; a < p_.zones.size(); ++a) addFromChain(a);
    for (uint16_t a = 0; a < p_.zones.size(); ++a)
      for (uint16_t b = 0; b < p_.zones.size(); ++b) addPairChain(a, b);
    for (auto& part : parts_) rs_.chains.push_back(std::move(part));
    addFlowLimit();
    return std::move(rs_);
  }

 private:
  const ZoneSpace& space(Family f) const { return f == Family::V4 ? space4_ : space6_; }
  std::string pairName(uint16_t a, uint16_t b) const { return nftPairChainName(p_, a, b); }
  std::string fromName(uint16_t a) const { return "from_" + zoneName(p_, a); }

  bool physical(uint16_t a, uint16_t b) const { return a != b && p_.pair(a, b) == PairKind::Physical; }

  // Zones whose interfaces need anti-spoofing / breach sets.
  std::vector<uint16_t> interfaceZones() const {
    std::vector<uint16_t> z;
    for (const auto& i : o_.interfaces)
      if (std::find(z.begin(), z.end(), i.zone) == z.end()) z.push_back(i.zone);
    std::sort(z.begin(), z.end());
    return z;
  }

  void addCounters() {
    for (const auto& r : p_.rules) rs_.counters.push_back({nftRuleCounterName(r)});
    for (uint16_t a = 0; a < p_.zones.size(); ++a)
      for (uint16_t b = 0; b < p_.zones.size(); ++b) rs_.counters.push_back({pairName(a, b)});
    for (const char* c : {"spoofed_source", "isolation_breach", "malformed", "monitor_drop", "unzoned"})
      rs_.counters.push_back({c});
    if (o_.flowLimit) rs_.counters.push_back({kNftFlowTableFullCounter});
  }

  // What admits a new flow: `accept`, or with a flow limit the admission chain. Every allow
  // rule and the intra-zone allow share that one chain, because the kernel keeps one count
  // per `ct count` expression: a count in each allow rule would limit each rule apart.
  NftVerdict admit() const { return o_.flowLimit ? jumpTo(kNftFlowAdmitChain) : accept(); }

  // flow_admit:  ct count over N counter name "flow_table_full" jump flow_refuse ; accept
  // flow_refuse: limit rate 1/second burst 5 packets log group 7 "isogate:fault:..." ; drop
  // Reached only by first packets of flows an allow rule matched: denied packets never
  // count (they end in their own log-drop), established ones never get here (accepted by
  // conntrack first). A refused flow's connection is never confirmed (its packet is
  // dropped), so the kernel forgets it at the count's next clean-up: it uses no budget.
  void addFlowLimit() {
    if (!o_.flowLimit) return;
    NftChain admitChain{kNftFlowAdmitChain, std::nullopt, {}};
    NftRule over;
    over.ctCountOver = o_.flowLimit;
    over.counter = kNftFlowTableFullCounter;
    over.verdict = jumpTo(kNftFlowRefuseChain);
    over.comment = "flow limit " + std::to_string(o_.flowLimit) + " reached";
    admitChain.rules.push_back(std::move(over));
    NftRule in;
    in.verdict = accept();
    in.comment = "new flow admitted";
    admitChain.rules.push_back(std::move(in));
    rs_.chains.push_back(std::move(admitChain));
    NftChain refuse{kNftFlowRefuseChain, std::nullopt, {}};
    NftRule report;
    report.limit = NftLimit{kNftFlowRefuseLogPerSecond, kNftFlowRefuseLogBurst};
    report.log = NftLog{kNflogFault, nftLogPrefix("fault", -1, "flow-table-full")};
    report.comment = "report refusals at a bounded rate";
    refuse.rules.push_back(std::move(report));
    NftRule dropIt;
    dropIt.verdict = drop();
    dropIt.comment = "new flow refused: flow limit";
    refuse.rules.push_back(std::move(dropIt));
    rs_.chains.push_back(std::move(refuse));
  }

  void addSets() {
    for (Family f : kFamilies) {
      const NftKeyType key = f == Family::V4 ? NftKeyType::Ipv4Addr : NftKeyType::Ipv6Addr;
      for (uint16_t z = 0; z < p_.zones.size(); ++z) {
        NftSet s{nftZoneSetName(p_, z, f), key, false, {}};
        for (const auto& i : space(f).of(z)) s.elements.push_back({i, {}});
        rs_.sets.push_back(std::move(s));
      }
      for (uint16_t z : interfaceZones()) {
        NftSet s{breachSetName(z, f), key, false, {}};
        for (const auto& [i, owner] : space(f).all())
          if (physical(z, owner)) s.elements.push_back({i, {}});
        rs_.sets.push_back(std::move(s));
      }
      NftSet src{std::string("src_zone_") + famSuffix(f), key, true, {}};
      for (const auto& [i, owner] : space(f).all()) src.elements.push_back({i, jumpTo(fromName(owner))});
      rs_.sets.push_back(std::move(src));
      for (uint16_t z = 0; z < p_.zones.size(); ++z) {
        NftSet dst{dstMapName(z, f), key, true, {}};
        for (const auto& [i, owner] : space(f).all()) dst.elements.push_back({i, jumpTo(pairName(z, owner))});
        rs_.sets.push_back(std::move(dst));
      }
    }
  }

  std::string breachSetName(uint16_t z, Family f) const {
    return "breach_" + zoneName(p_, z) + "_" + famSuffix(f);
  }
  std::string dstMapName(uint16_t z, Family f) const {
    return "dst_from_" + zoneName(p_, z) + "_" + famSuffix(f);
  }

  // Packets in from a monitor port are never forwarded nor delivered; a source
  // address that proves a link between physically isolated zones is reported.
  void addMonitorIngress(NftChain& c) {
    for (const auto& i : o_.interfaces) {
      if (!i.monitor) continue;
      for (Family f : kFamilies) {
        c.rules.push_back(logDrop({ifName(NftField::IifName, i.name), nfproto(f),
                                   setMatch(saddrField(f), breachSetName(i.zone, f), false)},
                                  kNflogIsolationBreach,
                                  nftLogPrefix("isolation-breach", -1, "monitor " + i.name),
                                  "monitor " + i.name + ": address proves a link", "isolation_breach"));
      }
      NftRule r;
      r.matches = {ifName(NftField::IifName, i.name)};
      r.counter = "monitor_drop";
      r.verdict = drop();
      r.comment = "monitor " + i.name + ": receive only";
      c.rules.push_back(std::move(r));
    }
  }

  void addMonitorEgress(NftChain& c) {
    for (const auto& i : o_.interfaces) {
      if (!i.monitor) continue;
      NftRule r;
      r.matches = {ifName(NftField::OifName, i.name)};
      r.counter = "monitor_drop";
      r.verdict = drop();
      r.comment = "monitor " + i.name + ": never transmits";
      c.rules.push_back(std::move(r));
    }
  }

  NftRule established() const {
    NftRule r;
    r.matches = {ctState(kCtEstablished | kCtRelated)};
    r.verdict = accept();
    r.comment = "stateful: replies and related";
    return r;
  }

  NftRule invalid() const {
    return logDrop({ctState(kCtInvalid)}, kNflogMalformed, nftLogPrefix("malformed", -1, ""),
                   "conntrack rejected the packet", "malformed");
  }

  void addForward() {
    NftChain c{"forward", NftBaseChain{NftHook::Forward, 0, true}, {}};
    addMonitorIngress(c);
    addMonitorEgress(c);
    for (const auto& i : o_.interfaces) {
      if (i.monitor) continue;
      for (Family f : kFamilies) {
        NftRule r;
        r.matches = {ifName(NftField::IifName, i.name), nfproto(f),
                     setMatch(saddrField(f), nftZoneSetName(p_, i.zone, f), true)};
        r.verdict = jumpTo("spoof_" + zoneName(p_, i.zone));
        r.comment = "anti-spoofing " + i.name;
        c.rules.push_back(std::move(r));
      }
    }
    c.rules.push_back(established());
    c.rules.push_back(invalid());
    for (Family f : kFamilies) {
      NftRule r;
      r.matches = {nfproto(f)};
      r.vmap = NftVmap{saddrField(f), std::string("src_zone_") + famSuffix(f)};
      r.comment = "dispatch on the source zone";
      c.rules.push_back(std::move(r));
    }
    c.rules.push_back(unzoned());
    rs_.chains.push_back(std::move(c));
    for (uint16_t z : interfaceZones()) addSpoofChain(z);
  }

  NftRule unzoned() const {
    return logDrop({}, kNflogLogicalIsolation, nftLogPrefix("logical-isolation", -1, "unzoned"),
                   "address in no zone", "unzoned");
  }

  void addSpoofChain(uint16_t z) {
    bool forwarding = false;
    for (const auto& i : o_.interfaces) forwarding |= !i.monitor && i.zone == z;
    if (!forwarding) return;
    NftChain c{"spoof_" + zoneName(p_, z), std::nullopt, {}};
    for (Family f : kFamilies) {
      c.rules.push_back(logDrop({nfproto(f), setMatch(saddrField(f), breachSetName(z, f), false)},
                                kNflogIsolationBreach,
                                nftLogPrefix("isolation-breach", -1, "ingress " + zoneName(p_, z)),
                                "source of a zone physically isolated from " + zoneName(p_, z),
                                "isolation_breach"));
    }
    c.rules.push_back(logDrop({}, kNflogSpoofedSource, nftLogPrefix("spoofed-source", -1, "ingress " + zoneName(p_, z)),
                              "source outside " + zoneName(p_, z), "spoofed_source"));
    rs_.chains.push_back(std::move(c));
  }

  // The gateway's own traffic: loopback, stateful replies, neighbour
  // discovery and echo; management access is out of scope (design notes).
  void addInput() {
    NftChain c{"input", NftBaseChain{NftHook::Input, 0, true}, {}};
    addMonitorIngress(c);
    NftRule lo;
    lo.matches = {ifName(NftField::IifName, "lo")};
    lo.verdict = accept();
    lo.comment = "loopback";
    c.rules.push_back(std::move(lo));
    c.rules.push_back(established());
    c.rules.push_back(invalid());
    NftRule nd;
    nd.matches = {valueMatch(NftField::L4Proto, kProtoIcmpv6, kProtoIcmpv6), valueMatch(NftField::Icmpv6Type, 133, 136)};
    nd.verdict = accept();
    nd.comment = "icmpv6 neighbour discovery";
    c.rules.push_back(std::move(nd));
    std::vector<std::string> ifaces;
    for (const auto& i : o_.interfaces)
      if (!i.monitor) ifaces.push_back(i.name);
    if (o_.interfaces.empty()) ifaces.push_back("");  // no interface list: any non-loopback
    for (const auto& name : ifaces) {
      for (auto [proto, field, type] : {std::tuple{kProtoIcmp, NftField::IcmpType, 8},
                                        std::tuple{kProtoIcmpv6, NftField::Icmpv6Type, 128}}) {
        NftRule r;
        if (!name.empty()) r.matches.push_back(ifName(NftField::IifName, name));
        r.matches.push_back(valueMatch(NftField::L4Proto, proto, proto));
        r.matches.push_back(valueMatch(field, type, type));
        r.verdict = accept();
        r.comment = "echo to the gateway" + (name.empty() ? std::string() : " via " + name);
        c.rules.push_back(std::move(r));
      }
    }
    rs_.chains.push_back(std::move(c));
  }

  void addOutput() {
    NftChain c{"output", NftBaseChain{NftHook::Output, 0, false}, {}};
    addMonitorEgress(c);
    rs_.chains.push_back(std::move(c));
  }

  void addFromChain(uint16_t a) {
    NftChain c{fromName(a), std::nullopt, {}};
    for (Family f : kFamilies) {
      NftRule r;
      r.matches = {nfproto(f)};
      r.vmap = NftVmap{daddrField(f), dstMapName(a, f)};
      r.comment = "dispatch on the destination zone";
      c.rules.push_back(std::move(r));
    }
    NftRule r = unzoned();
    c.rules.push_back(std::move(r));
    rs_.chains.push_back(std::move(c));
  }

  void addPairChain(uint16_t a, uint16_t b) {
    NftChain c{pairName(a, b), std::nullopt, {}};
    const std::string pairText = zoneName(p_, a) + ">" + zoneName(p_, b);
    NftRule count;
    count.counter = pairName(a, b);
    count.comment = "zone pair " + pairText;
    c.rules.push_back(std::move(count));
    if (physical(a, b)) {
      c.rules.push_back(logDrop({}, kNflogPhysicalIsolation, nftLogPrefix("physical-isolation", -1, pairText),
                                "physical isolation"));
      rs_.chains.push_back(std::move(c));
      return;
    }
    std::vector<NftRule> lowered;
    for (const auto& r : p_.rules)
      if (r.fromZone == a && r.toZone == b) lowerRule(r, lowered);
    addRulesInParts(c, std::move(lowered));
    if (a == b && p_.zones[a].intraZoneAllow) {
      NftRule r;
      r.matches = {ctState(kCtNew)};
      r.verdict = admit();
      r.comment = "intra_zone: allow";
      c.rules.push_back(std::move(r));
    }
    c.rules.push_back(logDrop({}, kNflogLogicalIsolation, nftLogPrefix("logical-isolation", -1, pairText),
                              a != b                          ? "logical isolation: default deny"
                              : p_.zones[a].intraZoneAllow ? "intra_zone: allow (only new flows)"
                                                           : "intra_zone: deny"));
    rs_.chains.push_back(std::move(c));
  }

  // A long pair chain is cut into parts of at most kNftMaxRulesPerChain rules,
  // jumped to in order (a part without a match returns; accept and drop end
  // the evaluation), so first-match order is kept. Why: the kernel dumps a
  // chain's rules by skipping the ones already sent on every message, which
  // is quadratic in the chain's length; short chains keep the readback of a
  // 100k-rule ruleset linear (docs/PERFORMANCE.md, kernel backend).
  void addRulesInParts(NftChain& c, std::vector<NftRule> rules) {
    if (rules.size() <= kNftMaxRulesPerChain) {
      for (auto& r : rules) c.rules.push_back(std::move(r));
      return;
    }
    for (size_t first = 0, part = 1; first < rules.size(); first += kNftMaxRulesPerChain, ++part) {
      NftChain sub{c.name + "__" + std::to_string(part), std::nullopt, {}};
      const size_t last = std::min(rules.size(), first + kNftMaxRulesPerChain);
      for (size_t i = first; i < last; ++i) sub.rules.push_back(std::move(rules[i]));
      NftRule jump;
      jump.verdict = jumpTo(sub.name);
      jump.comment = "rules " + std::to_string(first + 1) + "-" + std::to_string(last);
      c.rules.push_back(std::move(jump));
      parts_.push_back(std::move(sub));
    }
  }

  void lowerRule(const CompiledRule& r, std::vector<NftRule>& out) const {
    const auto timePieces = schedulePieces(r.schedule, o_);
    std::vector<std::optional<Family>> families;
    if (r.src.empty() && r.dst.empty()) {
      families.push_back(std::nullopt);
    } else {
      families.push_back(Family::V4);
      families.push_back(Family::V6);
    }
    for (const auto& fam : families) {
      std::vector<std::vector<NftMatch>> alternatives{{}};
      if (fam) {
        auto m = addressMatches(r, *fam);
        if (!m) continue;
        alternatives.clear();
        for (auto& alt : *m) {
          alternatives.push_back({nfproto(*fam)});
          for (auto& x : alt) alternatives.back().push_back(std::move(x));
        }
      }
      for (const auto& addr : alternatives)
        for (const auto& term : r.terms)
          for (const auto& piece : protoPieces(term))
            for (const auto& t : timePieces) out.push_back(nftRule(r, addr, piece, t));
    }
  }

  NftRule nftRule(const CompiledRule& r, const std::vector<NftMatch>& addr, const ProtoPiece& piece,
                  const NftTimePiece& t) const {
    NftRule nr;
    if (r.action == Action::Allow) nr.matches.push_back(ctState(kCtNew));
    nr.matches.insert(nr.matches.end(), addr.begin(), addr.end());
    for (auto& m : protoMatches(piece)) nr.matches.push_back(std::move(m));
    if (t.days) nr.matches.push_back(valueMatch(NftField::MetaDay, t.days->first, t.days->second));
    if (t.hours) nr.matches.push_back(valueMatch(NftField::MetaHour, t.hours->first, t.hours->second));
    nr.counter = nftRuleCounterName(r);
    if (r.action == Action::Allow) {
      if (r.log) nr.log = NftLog{kNflogFlowAllowed, nftLogPrefix("flow-allowed", static_cast<int>(r.id), r.name)};
      nr.verdict = admit();
    } else {
      nr.log = NftLog{kNflogLogicalIsolation, nftLogPrefix("logical-isolation", static_cast<int>(r.id), r.name)};
      nr.verdict = drop();
    }
    nr.comment = r.name;
    return nr;
  }

  const CompiledPolicy& p_;
  const NftBuildOptions& o_;
  ZoneSpace space4_, space6_;
  NftRuleset rs_;
  std::vector<NftChain> parts_;  // parts of long pair chains, declared after every pair chain
};

}  // namespace

const NftChain* NftRuleset::findChain(const std::string& name) const {
  for (const auto& c : chains)
    if (c.name == name) return &c;
  return nullptr;
}

const NftSet* NftRuleset::findSet(const std::string& name) const {
  for (const auto& s : sets)
    if (s.name == name) return &s;
  return nullptr;
}

size_t NftRuleset::ruleCount() const {
  size_t n = 0;
  for (const auto& c : chains) n += c.rules.size();
  return n;
}

NftBuildOptions hostNftBuildOptions() {
  NftBuildOptions o;
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  o.utcOffsetMinutes = static_cast<int>(tm.tm_gmtoff / 60);
  struct timeval tv {};
  struct timezone tz {};
  if (gettimeofday(&tv, &tz) == 0) o.kernelTzMinutesWest = tz.tz_minuteswest;
  return o;
}

NftRuleset buildNftRuleset(const CompiledPolicy& policy, const NftBuildOptions& options) {
  return Builder(policy, options).build();
}

std::string nftRuleCounterName(const CompiledRule& rule) { return "rule_" + rule.name; }

std::string nftPairChainName(const CompiledPolicy& p, uint16_t from, uint16_t to) {
  return "pair_" + p.zones[from].name + "_" + p.zones[to].name;
}

std::string nftZoneSetName(const CompiledPolicy& p, uint16_t zone, Family f) {
  return "zone_" + p.zones[zone].name + "_" + famSuffix(f);
}

std::string nftLogPrefix(const std::string& type, int ruleId, const std::string& detail) {
  std::string s = "isogate:" + type + ":" + (ruleId < 0 ? std::string("-") : std::to_string(ruleId)) + ":" + detail;
  // nft quotes the prefix; keep it to characters that need no escaping.
  for (char& ch : s)
    if (ch == '"' || ch == '\\' || static_cast<unsigned char>(ch) < 0x20) ch = '_';
  if (s.size() > kNftLogPrefixMax) s.resize(kNftLogPrefixMax);
  return s;
}

size_t nftRulesForPolicyRule(const CompiledRule& rule, const NftBuildOptions& options) {
  size_t families = 0;
  if (rule.src.empty() && rule.dst.empty()) {
    families = 1;
  } else {
    for (Family f : kFamilies) {
      const auto m = addressMatches(rule, f);
      families += m ? m->size() : 0;
    }
  }
  size_t pieces = 0;
  for (const auto& t : rule.terms) pieces += protoPieces(t).size();
  return families * pieces * schedulePieces(rule.schedule, options).size();
}

}  // namespace isogate::policy
