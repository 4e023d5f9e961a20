// The policy digest: sha256 over a canonical byte serialisation of the IR. It
// identifies a policy in every event, so it must depend on what the policy
// does and says (names, networks, matrix, rules) and on nothing else: not the
// file name, line numbers, comments or YAML layout. Every field is written with
// a tag and a fixed width or a length prefix, so no two IRs share a byte string.
#include <openssl/evp.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "policy/compiler.h"

namespace isogate::policy {
namespace {

class Canon {
 public:
  void tag(char t) { out_.push_back(t); }
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(uint16_t v) { fixed(v, 2); }
  void u32(uint32_t v) { fixed(v, 4); }
  void u128(U128 v) { fixed(v, 16); }
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    out_ += s;
  }
  void prefix(const Prefix& p) {
    u8(static_cast<uint8_t>(p.family));
    u128(p.base);
    u8(p.length);
  }
  const std::string& bytes() const { return out_; }

 private:
  template <class T>
  void fixed(T v, int width) {
    for (int i = width - 1; i >= 0; --i) out_.push_back(static_cast<char>(static_cast<uint8_t>(v >> (8 * i))));
  }
  std::string out_;
};

std::string serialise(const CompiledPolicy& c) {
  Canon k;
  k.str("isogate-ir-v1");
  k.tag('N');
  k.str(c.name);
  k.tag('Z');
  k.u32(static_cast<uint32_t>(c.zones.size()));
  for (const CompiledZone& z : c.zones) {
    k.str(z.name);
    k.u8(static_cast<uint8_t>(z.level));
    k.u8(z.isAny);
    k.u8(z.intraZoneAllow);
  }
  k.u32(static_cast<uint32_t>(c.anyZone + 1));
  for (const auto* table : {&c.prefixes4, &c.prefixes6}) {
    k.tag('P');
    k.u32(static_cast<uint32_t>(table->size()));
    for (const ZonePrefix& zp : *table) {
      k.prefix(zp.prefix);
      k.u16(zp.zone);
    }
  }
  k.tag('M');
  k.u32(static_cast<uint32_t>(c.matrix.size()));
  for (PairKind m : c.matrix) k.u8(static_cast<uint8_t>(m));
  k.tag('R');
  k.u32(static_cast<uint32_t>(c.rules.size()));
  for (const CompiledRule& r : c.rules) {
    k.u32(r.id);
    k.str(r.name);
    k.str(r.ref);
    k.u16(r.fromZone);
    k.u16(r.toZone);
    for (const auto* list : {&r.src, &r.dst}) {
      k.u32(static_cast<uint32_t>(list->size()));
      for (const Prefix& p : *list) k.prefix(p);
    }
    k.u32(static_cast<uint32_t>(r.terms.size()));
    for (const MatchTerm& t : r.terms) {
      k.u8(t.protoFirst);
      k.u8(t.protoLast);
      k.u16(t.portFirst);
      k.u16(t.portLast);
      k.u8(t.icmpFirst);
      k.u8(t.icmpLast);
    }
    k.u8(static_cast<uint8_t>(r.action));
    k.u8(r.log);
    k.u8(r.schedule.has_value());
    if (r.schedule) {
      k.u8(r.schedule->days);
      k.u16(r.schedule->startMinute);
      k.u16(r.schedule->endMinute);
    }
  }
  return k.bytes();
}

}  // namespace

std::string computeDigest(const CompiledPolicy& compiled) {
  const std::string bytes = serialise(compiled);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdLen = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), md, &mdLen) != 1 || mdLen != 32) {
    // Only an OpenSSL failure (out of memory) gets here; there is no digest to give.
    throw std::runtime_error("sha256 digest failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < mdLen; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

}  // namespace isogate::policy
