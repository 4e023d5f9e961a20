// Typed reading of a yaml::Node tree with diagnostics, shared by the policy
// and gateway-config loaders: known/unknown/duplicate/missing keys, and values
// of the expected kind, each error at the position SPEC §1 asks for.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/diagnostics.h"
#include "policy/yaml_tree.h"

namespace isogate::policy {

// The known keys present in one mapping (first occurrence of each).
class Fields {
 public:
  const yaml::Entry* get(std::string_view key) const;
  bool has(std::string_view key) const { return get(key) != nullptr; }
  void add(std::string key, const yaml::Entry* e) { items_.emplace_back(std::move(key), e); }

 private:
  std::vector<std::pair<std::string, const yaml::Entry*>> items_;
};

class YamlReader {
 public:
  YamlReader(std::string file, Diagnostics& diags) : file_(std::move(file)), diags_(diags) {}

  const std::string& file() const { return file_; }
  Diagnostics& diags() { return diags_; }
  Location at(const yaml::Node& n) const { return yaml::locationOf(file_, n); }
  void error(const yaml::Node& n, std::string message) { diags_.error(at(n), std::move(message)); }
  void warning(const yaml::Node& n, std::string message) {
    diags_.warning(at(n), std::move(message));
  }

  // Reads a fixed-schema mapping. `context` ("zone 'intranet'", "" at top
  // level) goes into messages. Reports keys that are not plain names, unknown
  // keys (with a suggestion), duplicates (at the later one) and missing
  // required keys (at `map`, the entry's first line).
  Fields fields(const yaml::Node& map, std::initializer_list<std::string_view> known,
                std::initializer_list<std::string_view> required, const std::string& context);

  // Checks that a key is a usable name; reports and returns false otherwise.
  bool keyIsName(const yaml::Node& key);

  // Value readers: on a wrong kind they report "'key' must be ..." at the value
  // (an omitted value points at its key) and return nullopt / nullptr.
  std::optional<std::string> string(const yaml::Entry& e);
  std::optional<bool> boolean(const yaml::Entry& e);
  const yaml::Node* list(const yaml::Entry& e, bool allowEmpty = false);
  const yaml::Node* mapping(const yaml::Entry& e);
  // One of `choices`; else "invalid <what> 'v'; expected a, b or c".
  std::optional<size_t> choice(const yaml::Entry& e, std::string_view what,
                               std::initializer_list<std::string_view> choices);
  // A whole number in [lo, hi]; else "'key' must be a whole number lo..hi".
  std::optional<long> integer(const yaml::Entry& e, long lo, long hi);

 private:
  std::string file_;
  Diagnostics& diags_;
};

// "a, b or c"
std::string joinChoices(std::initializer_list<std::string_view> choices);
// " in zone 'x'" or "" when the context is empty.
std::string inContext(const std::string& context);

}  // namespace isogate::policy
