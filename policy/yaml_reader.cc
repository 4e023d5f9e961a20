#include "policy/yaml_reader.h"

#include <algorithm>
#include <charconv>

#include "policy/spelling.h"

namespace isogate::policy {

const yaml::Entry* Fields::get(std::string_view key) const {
  for (const auto& [k, e] : items_)
    if (k == key) return e;
  return nullptr;
}

std::string joinChoices(std::initializer_list<std::string_view> choices) {
  std::string out;
  size_t i = 0;
  for (const auto c : choices) {
    if (i > 0) out += i + 1 == choices.size() ? " or " : ", ";
    out += c;
    ++i;
  }
  return out;
}

std::string inContext(const std::string& context) {
  return context.empty() ? std::string() : " in " + context;
}

bool YamlReader::keyIsName(const yaml::Node& key) {
  if (key.isScalar() && !key.text.empty()) return true;
  error(key, key.isScalar() ? std::string("mapping keys must not be empty")
                            : "mapping keys must be plain names, not " +
                                  std::string(yaml::kindName(key.kind)));
  return false;
}

Fields YamlReader::fields(const yaml::Node& map, std::initializer_list<std::string_view> known,
                          std::initializer_list<std::string_view> required,
                          const std::string& context) {
  Fields out;
  std::vector<std::string> knownNames(known.begin(), known.end());
  std::vector<std::string> suggested;  // a misspelt required key is not also "missing"
  for (const auto& e : map.entries) {
    if (!keyIsName(e.key)) continue;
    bool isKnown = false;
    for (const auto k : known) isKnown = isKnown || e.key.text == k;
    if (!isKnown) {
      const auto guess = closestName(e.key.text, knownNames);
      error(e.key, "unknown key '" + e.key.text + "'" + inContext(context) +
                       (guess ? "; did you mean '" + *guess + "'?" : std::string()));
      if (guess) suggested.push_back(*guess);
      continue;
    }
    if (const yaml::Entry* first = out.get(e.key.text)) {
      error(e.key, "duplicate key '" + e.key.text + "'" + inContext(context) + " (first at line " +
                       std::to_string(first->key.line) + ")");
      continue;
    }
    out.add(e.key.text, &e);
  }
  for (const auto r : required) {
    if (!out.has(r) && std::find(suggested.begin(), suggested.end(), r) == suggested.end()) {
      error(map, "missing required key '" + std::string(r) + "'" + inContext(context));
    }
  }
  return out;
}

std::optional<std::string> YamlReader::string(const yaml::Entry& e) {
  if (e.value.isScalar()) return e.value.text;
  error(e.value, "'" + e.key.text + "' must be a string");
  return std::nullopt;
}

std::optional<bool> YamlReader::boolean(const yaml::Entry& e) {
  if (e.value.isScalar() && e.value.plain) {
    if (e.value.text == "true") return true;
    if (e.value.text == "false") return false;
  }
  error(e.value, "'" + e.key.text + "' must be true or false");
  return std::nullopt;
}

const yaml::Node* YamlReader::list(const yaml::Entry& e, bool allowEmpty) {
  if (!e.value.isSequence()) {
    error(e.value, "'" + e.key.text + "' must be a list");
    return nullptr;
  }
  if (!allowEmpty && e.value.items.empty()) {
    error(e.value, "'" + e.key.text + "' must not be empty");
    return nullptr;
  }
  return &e.value;
}

const yaml::Node* YamlReader::mapping(const yaml::Entry& e) {
  if (e.value.isMap()) return &e.value;
  error(e.value, "'" + e.key.text + "' must be a mapping");
  return nullptr;
}

std::optional<size_t> YamlReader::choice(const yaml::Entry& e, std::string_view what,
                                         std::initializer_list<std::string_view> choices) {
  if (e.value.isScalar()) {
    size_t i = 0;
    for (const auto c : choices) {
      if (e.value.text == c) return i;
      ++i;
    }
    error(e.value, "invalid " + std::string(what) + " '" + e.value.text + "'; expected " +
                       joinChoices(choices));
    return std::nullopt;
  }
  error(e.value, "'" + e.key.text + "' must be " + joinChoices(choices));
  return std::nullopt;
}

std::optional<long> YamlReader::integer(const yaml::Entry& e, long lo, long hi) {
  if (e.value.isScalar()) {
    const std::string& t = e.value.text;
    long v = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (!t.empty() && ec == std::errc() && end == t.data() + t.size() && v >= lo && v <= hi) {
      return v;
    }
  }
  error(e.value, "'" + e.key.text + "' must be a whole number " + std::to_string(lo) + ".." +
                     std::to_string(hi));
  return std::nullopt;
}

}  // namespace isogate::policy
