#include "policy/yaml_tree.h"

#include <gtest/gtest.h>

#include <string>

namespace isogate::policy::yaml {
namespace {

ParseResult parseOk(const std::string& text, Diagnostics& d) {
  ParseResult r = parse(text, "t.yaml", d);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(d.all().size(), 0u);
  return r;
}

std::string only(const Diagnostics& d) {
  EXPECT_EQ(d.all().size(), 1u);
  return d.all().empty() ? "" : formatDiagnostic(d.all()[0]);
}

TEST(YamlTreeTest, KeysAndValuesKeepOneBasedPositionsAndFileOrder) {
  Diagnostics d;
  const Node root = parseOk("b: 1\na:\n  x: [p, \"q\"]\n", d).root;
  ASSERT_TRUE(root.isMap());
  ASSERT_EQ(root.entries.size(), 2u);
  EXPECT_EQ(root.entries[0].key.text, "b");
  EXPECT_EQ(root.entries[0].key.line, 1);
  EXPECT_EQ(root.entries[0].key.column, 1);
  EXPECT_EQ(root.entries[0].value.text, "1");
  EXPECT_EQ(root.entries[0].value.column, 4);
  EXPECT_EQ(root.entries[1].key.text, "a");
  const Node& x = root.entries[1].value.entries[0].value;
  ASSERT_TRUE(x.isSequence());
  EXPECT_EQ(x.line, 3);
  EXPECT_EQ(x.column, 6);
  ASSERT_EQ(x.items.size(), 2u);
  EXPECT_EQ(x.items[0].column, 7);
  EXPECT_TRUE(x.items[0].plain);
  EXPECT_EQ(x.items[1].text, "q");
  EXPECT_EQ(x.items[1].column, 10);
  EXPECT_FALSE(x.items[1].plain);
}

TEST(YamlTreeTest, DuplicateKeysAreKept) {
  Diagnostics d;
  const Node root = parseOk("a: 1\na: 2\n", d).root;
  ASSERT_EQ(root.entries.size(), 2u);
  EXPECT_EQ(root.entries[1].key.line, 2);
  EXPECT_EQ(root.entries[1].value.text, "2");
}

TEST(YamlTreeTest, OmittedValuePointsAtItsKeyAndOmittedItemAtItsDash) {
  Diagnostics d;
  const Node root = parseOk("a:\nb: 2\nc:\n  - x\n  -   # nothing\n\n  - y\n", d).root;
  const Node& a = root.entries[0].value;
  EXPECT_TRUE(a.isNull());
  EXPECT_EQ(a.line, 1);
  EXPECT_EQ(a.column, 1);
  const Node& c = root.entries[2].value;
  ASSERT_EQ(c.items.size(), 3u);
  EXPECT_TRUE(c.items[1].isNull());
  EXPECT_EQ(c.items[1].line, 5);
  EXPECT_EQ(c.items[1].column, 3);
}

TEST(YamlTreeTest, ExplicitNullKeepsItsOwnPosition) {
  Diagnostics d;
  const Node root = parseOk("a:   ~\nb: null\n", d).root;
  EXPECT_TRUE(root.entries[0].value.isNull());
  EXPECT_EQ(root.entries[0].value.column, 6);
  EXPECT_EQ(root.entries[1].value.line, 2);
  EXPECT_EQ(root.entries[1].value.column, 4);
}

TEST(YamlTreeTest, EmptyAndCommentOnlyDocumentsAreNullAtOneOne) {
  for (const char* text : {"", "# just a comment\n", "---\n"}) {
    Diagnostics d;
    const ParseResult r = parse(text, "t.yaml", d);
    EXPECT_TRUE(r.ok) << text;
    EXPECT_TRUE(r.root.isNull()) << text;
    EXPECT_EQ(r.root.line, 1);
    EXPECT_EQ(r.root.column, 1);
  }
}

TEST(YamlTreeTest, SyntaxErrorBecomesOneDiagnosticAtItsPosition) {
  Diagnostics d;
  const ParseResult r = parse("a: [1, 2\nb: 3\n", "t.yaml", d);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(only(d), "t.yaml:2:2: error: YAML syntax error: end of sequence flow not found");
}

TEST(YamlTreeTest, TabIndentationGetsAHint) {
  Diagnostics d;
  parse("a:\n\t- x\n", "t.yaml", d);
  EXPECT_EQ(only(d),
            "t.yaml:2:2: error: YAML syntax error: illegal block entry (tabs are not allowed for "
            "indentation; use spaces)");
}

TEST(YamlTreeTest, AnchorsAndAliasesAreRejected) {
  Diagnostics d;
  const ParseResult r = parse("a: &x 1\nb: *x\n", "t.yaml", d);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(d.all().size(), 2u);
  EXPECT_EQ(formatDiagnostic(d.all()[0]),
            "t.yaml:1:4: error: YAML anchor '&x' is not supported; write the value out");
  EXPECT_EQ(formatDiagnostic(d.all()[1]),
            "t.yaml:2:4: error: YAML aliases are not supported; write the value out");
}

TEST(YamlTreeTest, TagsAreRejected) {
  Diagnostics d;
  EXPECT_FALSE(parse("a: !!str 80\n", "t.yaml", d).ok);
  EXPECT_EQ(only(d), "t.yaml:1:4: error: YAML tag '!!str' is not supported");
}

TEST(YamlTreeTest, SecondDocumentIsRejected) {
  Diagnostics d;
  EXPECT_FALSE(parse("a: 1\n---\nb: 2\n", "t.yaml", d).ok);
  EXPECT_EQ(only(d), "t.yaml:2:1: error: only one YAML document is allowed per file");
}

TEST(YamlTreeTest, NestingIsBounded) {
  Diagnostics ok;
  std::string shallow(kMaxDepth - 1, '[');
  shallow += std::string(kMaxDepth - 1, ']');
  EXPECT_TRUE(parse(shallow, "t.yaml", ok).ok);
  Diagnostics d;
  std::string deep(kMaxDepth + 1, '[');
  deep += std::string(kMaxDepth + 1, ']');
  EXPECT_FALSE(parse(deep, "t.yaml", d).ok);
  EXPECT_EQ(only(d), "t.yaml:1:33: error: YAML nesting is deeper than 32 levels");
}

TEST(YamlTreeTest, ComplexKeysAreKeptForTheLoaderToReject) {
  Diagnostics d;
  const Node root = parseOk("? [a]\n: b\n", d).root;
  ASSERT_EQ(root.entries.size(), 1u);
  EXPECT_TRUE(root.entries[0].key.isSequence());
}

}  // namespace
}  // namespace isogate::policy::yaml
