#include "policy/cli/cli_args.h"

#include <iostream>
#include <utility>

namespace isogate::policy::cli {

ArgParser::ArgParser(std::string command, std::vector<OptionSpec> options,
                     std::vector<std::string> positional)
    : command_(std::move(command)),
      options_(std::move(options)),
      positionalNames_(std::move(positional)) {}

const OptionSpec* ArgParser::find(const std::string& token) const {
  for (const auto& o : options_)
    if (token == o.name || (!o.shortName.empty() && token == o.shortName)) return &o;
  return nullptr;
}

std::optional<std::string> ArgParser::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

bool ArgParser::parse(const std::vector<std::string>& args) {
  bool optionsDone = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!optionsDone && (a == "--help" || a == "-h")) {
      help_ = true;
      return true;
    }
    if (!optionsDone && a == "--") {
      optionsDone = true;
      continue;
    }
    if (!optionsDone && a.size() > 1 && a[0] == '-') {
      std::string name = a, inlineValue;
      bool hasInline = false;
      const auto eq = a.find('=');
      if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
        name = a.substr(0, eq);
        inlineValue = a.substr(eq + 1);
        hasInline = true;
      }
      const OptionSpec* spec = find(name);
      if (!spec) {
        error_ = "unknown option '" + name + "'";
        return false;
      }
      if (values_.count(spec->name)) {
        error_ = "option '" + spec->name + "' given twice";
        return false;
      }
      if (spec->takesValue) {
        if (hasInline) {
          values_[spec->name] = inlineValue;
        } else if (i + 1 < args.size()) {
          values_[spec->name] = args[++i];
        } else {
          error_ = "option '" + spec->name + "' needs a value";
          return false;
        }
      } else {
        if (hasInline) {
          error_ = "option '" + spec->name + "' takes no value";
          return false;
        }
        values_[spec->name] = "";
      }
      continue;
    }
    if (positionalValues_.size() >= positionalNames_.size()) {
      error_ = "unexpected argument '" + a + "'";
      return false;
    }
    positionalValues_.push_back(a);
  }
  if (positionalValues_.size() < positionalNames_.size()) {
    error_ = "missing " + positionalNames_[positionalValues_.size()];
    return false;
  }
  return true;
}

int usageError(const std::string& command, const std::string& message) {
  std::cerr << "isogate-policy " << command << ": " << message << '\n'
            << "Try 'isogate-policy " << command << " --help'.\n";
  return kExitUsage;
}

}  // namespace isogate::policy::cli
