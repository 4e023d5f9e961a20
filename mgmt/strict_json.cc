// Strict JSON: nlohmann's parser with a callback that tracks the keys of each
// open object (duplicates are refused: "last one wins" would let a crafted
// request say two things at once) and the nesting depth.
#include "mgmt/strict_json.h"

#include <set>
#include <vector>

namespace isogate::mgmt {

std::optional<nlohmann::json> parseStrictJson(std::string_view text, std::string& error,
                                              int maxDepth) {
  std::vector<std::set<std::string>> open;
  std::string problem;
  int depth = 0;
  auto cb = [&](int, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (!problem.empty()) return false;
    switch (ev) {
      case E::object_start:
      case E::array_start:
        if (++depth > maxDepth) problem = "nesting deeper than " + std::to_string(maxDepth);
        if (ev == E::object_start) open.emplace_back();
        break;
      case E::object_end:
        --depth;
        if (!open.empty()) open.pop_back();
        break;
      case E::array_end:
        --depth;
        break;
      case E::key:
        if (!open.empty() && !open.back().insert(parsed.get<std::string>()).second)
          problem = "duplicate key '" + parsed.get<std::string>() + "'";
        break;
      default:
        break;
    }
    return problem.empty();
  };
  try {
    nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), cb, true, false);
    if (!problem.empty()) {
      error = problem;
      return std::nullopt;
    }
    if (j.is_discarded()) {
      error = "invalid JSON";
      return std::nullopt;
    }
    return j;
  } catch (const nlohmann::json::exception& e) {
    if (!problem.empty()) {
      error = problem;
    } else {
      // "[json.exception.parse_error.101] parse error at line 1, column 5: ..." -> from "parse
      // error"
      std::string what = e.what();
      auto p = what.find("] ");
      error = "invalid JSON: " + (p == std::string::npos ? what : what.substr(p + 2));
    }
    return std::nullopt;
  }
}

bool getString(const nlohmann::json& obj, const char* key, std::string& out, std::string& error,
               bool required) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) error = std::string("missing key '") + key + "'";
    return !required;
  }
  if (!it->is_string()) {
    error = std::string("key '") + key + "': expected a string";
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool getUnsigned(const nlohmann::json& obj, const char* key, uint64_t& out, std::string& error,
                 bool required) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) error = std::string("missing key '") + key + "'";
    return !required;
  }
  if (!it->is_number_unsigned()) {
    error = std::string("key '") + key + "': expected a non-negative integer";
    return false;
  }
  out = it->get<uint64_t>();
  return true;
}

bool onlyKeys(const nlohmann::json& obj, std::initializer_list<const char*> allowed,
              std::string& error) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool known = false;
    for (const char* a : allowed) known = known || it.key() == a;
    if (!known) {
      error = "unknown key '" + it.key() + "'";
      return false;
    }
  }
  return true;
}

}  // namespace isogate::mgmt
