// isogate-policy-gen --rules N [--seed S] [-o FILE]: writes a generated policy
// (see policy_generator.h) to FILE or standard output.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "bench/policy/policy_generator.h"

namespace {

int usage() {
  std::cerr << "usage: isogate-policy-gen --rules N [--seed S] [-o FILE]\n";
  return 2;
}

bool parseCount(const char* text, uint64_t* out) {
  char* end = nullptr;
  if (!text || !*text || *text == '-') return false;
  *out = std::strtoull(text, &end, 10);
  return *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  isogate::bench::GeneratorOptions options;
  std::string output;
  bool haveRules = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    uint64_t n = 0;
    if (arg == "--rules" && parseCount(value, &n)) {
      options.rules = n;
      haveRules = true;
      ++i;
    } else if (arg == "--seed" && parseCount(value, &n)) {
      options.seed = n;
      ++i;
    } else if (arg == "-o" && value) {
      output = value;
      ++i;
    } else {
      return usage();
    }
  }
  if (!haveRules) return usage();
  const std::string yaml = isogate::bench::writePolicyYaml(isogate::bench::generatePolicyModel(options));
  if (output.empty() || output == "-") {
    std::cout << yaml;
    return std::cout.good() ? 0 : 2;
  }
  std::ofstream out(output, std::ios::binary);
  out << yaml;
  out.close();
  if (!out) {
    std::cerr << "isogate-policy-gen: cannot write " << output << "\n";
    return 2;
  }
  return 0;
}
