#include "policy/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <exception>
#include <sstream>

namespace isogate::policy::yaml {

const char* kindName(Kind k) {
  switch (k) {
    case Kind::Null:
      return "empty";
    case Kind::Scalar:
      return "a value";
    case Kind::Sequence:
      return "a list";
    case Kind::Map:
      return "a mapping";
  }
  return "empty";
}

namespace {

// Thrown from the event handler to abandon the document (depth limit, second
// document); yaml-cpp lets it through untouched.
struct StopParsing {
  int line, column;
  std::string message;
};

// Byte offset -> 1-based line:column, for positions we compute ourselves.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text) : text_(text) {}
  std::pair<int, int> at(size_t offset) {
    if (starts_.empty()) {
      starts_.push_back(0);
      for (size_t i = 0; i < text_.size(); ++i)
        if (text_[i] == '\n') starts_.push_back(i + 1);
    }
    const auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
    const size_t line = static_cast<size_t>(it - starts_.begin());  // >= 1
    return {static_cast<int>(line), static_cast<int>(offset - starts_[line - 1]) + 1};
  }

 private:
  std::string_view text_;
  std::vector<size_t> starts_;
};

class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(std::string_view text, const std::string& file, Diagnostics& diags)
      : text_(text), lines_(text), file_(file), diags_(diags) {}

  bool done() const { return done_; }
  Node takeRoot() { return std::move(root_); }
  bool hadErrors() const { return errors_ > 0; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override {
    Node n;
    n.kind = Kind::Null;
    place(n, mark);
    if (!explicitNull(mark)) omitted(n, mark);
    add(std::move(n));
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    error(mark, "YAML aliases are not supported; write the value out");
    Node n;
    place(n, mark);
    add(std::move(n));
  }

  void OnAnchor(const YAML::Mark& mark, const std::string& name) override {
    error(mark, "YAML anchor '&" + name + "' is not supported; write the value out");
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                const std::string& value) override {
    checkTag(mark, tag);
    Node n;
    n.kind = Kind::Scalar;
    n.plain = tag == "?";
    n.text = value;
    place(n, mark);
    add(std::move(n));
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    open(mark, tag, Kind::Sequence);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    open(mark, tag, Kind::Map);
  }
  void OnMapEnd() override { close(); }

  void error(const YAML::Mark& mark, std::string message) {
    diags_.error(Location{file_, mark.line + 1, mark.column + 1}, std::move(message));
    ++errors_;
  }

 private:
  struct Frame {
    Node node;
    bool haveKey = false;
    Node key;
  };

  static void place(Node& n, const YAML::Mark& mark) {
    n.line = mark.line + 1;
    n.column = mark.column + 1;
  }

  void checkTag(const YAML::Mark& mark, const std::string& tag) {
    if (!tag.empty() && tag != "?" && tag != "!") {
      const std::string_view core = "tag:yaml.org,2002:";
      const std::string shown = tag.starts_with(core) ? "!!" + tag.substr(core.size()) : tag;
      error(mark, "YAML tag '" + shown + "' is not supported");
    }
  }

  // yaml-cpp reports `~`/`null` and an omitted value alike; an omitted value's
  // mark is the next token, often on a later line, so we re-point it.
  bool explicitNull(const YAML::Mark& mark) const {
    if (mark.pos < 0 || static_cast<size_t>(mark.pos) >= text_.size()) return false;
    const std::string_view rest = text_.substr(static_cast<size_t>(mark.pos));
    if (rest.starts_with("~")) return true;
    for (const char* word : {"null", "Null", "NULL"}) {
      if (rest.starts_with(word)) {
        const std::string_view after = rest.substr(4);
        if (after.empty() ||
            std::string_view(" \t\r\n,]}#").find(after[0]) != std::string_view::npos)
          return true;
      }
    }
    return false;
  }

  // An omitted value: a map value points at its key (set in add()); a list
  // item at the last token before it (its dash).
  void omitted(Node& n, const YAML::Mark& mark) {
    n.line = -1;  // marker for add(): use the key's position
    if (stack_.empty() || stack_.back().node.kind != Kind::Sequence) return;
    size_t end = mark.pos < 0 ? 0 : std::min(static_cast<size_t>(mark.pos), text_.size());
    while (end > 0) {
      const size_t lineStart =
          text_.rfind('\n', end - 1) == std::string_view::npos ? 0 : text_.rfind('\n', end - 1) + 1;
      std::string_view seg = text_.substr(lineStart, end - lineStart);
      for (size_t i = 0; i < seg.size(); ++i) {
        if (seg[i] == '#' && (i == 0 || seg[i - 1] == ' ' || seg[i - 1] == '\t')) {
          seg = seg.substr(0, i);
          break;
        }
      }
      const size_t last = seg.find_last_not_of(" \t\r\n");
      if (last != std::string_view::npos) {
        const auto [line, column] = lines_.at(lineStart + last);
        n.line = line;
        n.column = column;
        return;
      }
      if (lineStart == 0) break;
      end = lineStart - 1;
    }
    place(n, mark);
  }

  void open(const YAML::Mark& mark, const std::string& tag, Kind kind) {
    checkTag(mark, tag);
    if (static_cast<int>(stack_.size()) >= kMaxDepth) {
      throw StopParsing{mark.line + 1, mark.column + 1,
                        "YAML nesting is deeper than " + std::to_string(kMaxDepth) + " levels"};
    }
    Frame f;
    f.node.kind = kind;
    place(f.node, mark);
    stack_.push_back(std::move(f));
  }

  void close() {
    if (stack_.empty()) return;
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (f.haveKey) {  // a key without value cannot come from yaml-cpp, but stay total
      Node empty;
      empty.line = f.key.line;
      empty.column = f.key.column;
      f.node.entries.push_back(Entry{std::move(f.key), std::move(empty)});
    }
    add(std::move(f.node));
  }

  void add(Node n) {
    if (stack_.empty()) {
      if (n.line < 0) n.line = n.column = 1;
      root_ = std::move(n);
      done_ = true;
      return;
    }
    Frame& top = stack_.back();
    if (top.node.kind == Kind::Sequence) {
      if (n.line < 0) place(n, YAML::Mark());  // unreachable: omitted() placed it
      top.node.items.push_back(std::move(n));
      return;
    }
    if (!top.haveKey) {
      if (n.line < 0) {  // an omitted key (`: x`): point at the map
        n.line = top.node.line;
        n.column = top.node.column;
      }
      top.key = std::move(n);
      top.haveKey = true;
      return;
    }
    if (n.line < 0) {
      n.line = top.key.line;
      n.column = top.key.column;
    }
    top.node.entries.push_back(Entry{std::move(top.key), std::move(n)});
    top.key = Node();
    top.haveKey = false;
  }

  std::string_view text_;
  LineIndex lines_;
  const std::string& file_;
  Diagnostics& diags_;
  std::vector<Frame> stack_;
  Node root_;
  bool done_ = false;
  int errors_ = 0;
};

// Sees whether a second document follows; stops at its start.
class SecondDocument : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    throw StopParsing{mark.line + 1, mark.column + 1, "only one YAML document is allowed per file"};
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

std::string syntaxMessage(std::string_view text, const YAML::Mark& mark, const std::string& msg) {
  std::string out = "YAML syntax error: " + msg;
  // Tabs are the most common cause of yaml-cpp's terser messages.
  if (mark.line >= 0) {
    size_t start = 0;
    for (int l = 0; l < mark.line && start != std::string_view::npos; ++l) {
      start = text.find('\n', start);
      if (start != std::string_view::npos) ++start;
    }
    if (start != std::string_view::npos) {
      const std::string_view line = text.substr(start, text.find('\n', start) - start);
      const size_t indentEnd = line.find_first_not_of(" \t");
      if (line.substr(0, indentEnd).find('\t') != std::string_view::npos) {
        out += " (tabs are not allowed for indentation; use spaces)";
      }
    }
  }
  return out;
}

}  // namespace

ParseResult parse(std::string_view text, const std::string& fileName, Diagnostics& diags) {
  ParseResult result;
  result.root.line = result.root.column = 1;
  std::istringstream in{std::string(text)};
  TreeBuilder builder(text, fileName, diags);
  try {
    YAML::Parser parser(in);
    parser.HandleNextDocument(builder);
    if (builder.done()) {
      SecondDocument probe;
      parser.HandleNextDocument(probe);
    }
  } catch (const StopParsing& stop) {
    diags.error(Location{fileName, stop.line, stop.column}, stop.message);
    return result;
  } catch (const YAML::ParserException& e) {
    const bool hasMark = !e.mark.is_null() && e.mark.line >= 0;
    diags.error(Location{fileName, hasMark ? e.mark.line + 1 : 0, hasMark ? e.mark.column + 1 : 0},
                syntaxMessage(text, e.mark, e.msg));
    return result;
  } catch (const std::exception& e) {
    diags.error(Location{fileName, 0, 0}, std::string("YAML syntax error: ") + e.what());
    return result;
  }
  if (builder.hadErrors()) return result;
  if (builder.done()) result.root = builder.takeRoot();
  result.ok = true;
  return result;
}

}  // namespace isogate::policy::yaml
