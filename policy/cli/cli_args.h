// Command-line parsing for the isogate-policy subcommands: declared options,
// positional arguments, and precise errors ("unknown option '--foo'", "option
// '--src' needs a value") so every command fails the same way with exit 2.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace isogate::policy::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFail = 1;   // invalid policy, changes found, findings found
inline constexpr int kExitUsage = 2;  // usage or I/O error

struct OptionSpec {
  std::string name;       // "--src"
  std::string shortName;  // "-o" or ""
  bool takesValue = false;
};

class ArgParser {
 public:
  // `positional` names the positional arguments in order ("POLICY", ...); all are required.
  ArgParser(std::string command, std::vector<OptionSpec> options,
            std::vector<std::string> positional);

  // Parses the arguments after the subcommand name. On error returns false and
  // sets error(). `--help`/`-h` anywhere sets helpRequested() and succeeds.
  bool parse(const std::vector<std::string>& args);

  bool helpRequested() const { return help_; }
  const std::string& error() const { return error_; }
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
  const std::string& positional(size_t i) const { return positionalValues_.at(i); }

 private:
  const OptionSpec* find(const std::string& token) const;

  std::string command_;
  std::vector<OptionSpec> options_;
  std::vector<std::string> positionalNames_;
  std::vector<std::string> positionalValues_;
  std::map<std::string, std::string> values_;
  bool help_ = false;
  std::string error_;
};

// Prints "isogate-policy CMD: MESSAGE" and the --help hint to stderr; returns kExitUsage.
int usageError(const std::string& command, const std::string& message);

}  // namespace isogate::policy::cli
