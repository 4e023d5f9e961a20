// A small YAML node tree that keeps what yaml-cpp's own Node throws away: the
// 1-based line:column of every key and value, the file order of mappings, and
// duplicate keys (so the loaders can report them at the later occurrence).
// Built from yaml-cpp's event API; anchors, aliases and tags are rejected.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "policy/diagnostics.h"

namespace isogate::policy::yaml {

enum class Kind : unsigned char { Null, Scalar, Sequence, Map };

struct Entry;

struct Node {
  Kind kind = Kind::Null;
  bool plain = true;  // a scalar written without quotes or block style
  int line = 0;       // 1-based; for an omitted value, the position of its key or dash
  int column = 0;
  std::string text;            // Scalar only
  std::vector<Node> items;     // Sequence only
  std::vector<Entry> entries;  // Map only, in file order, duplicates kept

  bool isNull() const { return kind == Kind::Null; }
  bool isScalar() const { return kind == Kind::Scalar; }
  bool isSequence() const { return kind == Kind::Sequence; }
  bool isMap() const { return kind == Kind::Map; }
};

struct Entry {
  Node key;
  Node value;
};

// "a mapping", "a list", "a value", "empty": for messages.
const char* kindName(Kind k);

inline Location locationOf(const std::string& file, const Node& n) {
  return Location{file, n.line, n.column};
}

// Parses one YAML document. Syntax errors, anchors, aliases, tags, a second
// document and nesting deeper than kMaxDepth become error diagnostics; the
// result is then a Null node and `ok` is false. An empty document (nothing
// but comments) parses fine as a Null node at 1:1: the caller words the error.
struct ParseResult {
  Node root;
  bool ok = false;
};

inline constexpr int kMaxDepth = 32;

ParseResult parse(std::string_view text, const std::string& fileName, Diagnostics& diags);

}  // namespace isogate::policy::yaml
