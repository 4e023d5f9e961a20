// Strict JSON parsing for everything that arrives from another process (event
// datagrams, control requests): one value, no duplicate keys, bounded depth,
// and a precise error instead of an exception.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace isogate::mgmt {

std::optional<nlohmann::json> parseStrictJson(std::string_view text, std::string& error,
                                              int maxDepth = 8);

// Helpers for validating objects member by member.
// Error text: "key 'x': expected a string".
bool getString(const nlohmann::json& obj, const char* key, std::string& out, std::string& error,
               bool required = true);
bool getUnsigned(const nlohmann::json& obj, const char* key, uint64_t& out, std::string& error,
                 bool required = true);
// Every key of obj must be in `allowed`; error names the first other key.
bool onlyKeys(const nlohmann::json& obj, std::initializer_list<const char*> allowed,
              std::string& error);

}  // namespace isogate::mgmt
