// Diagnostics collected by every compiler pass. Passes never print or throw on
// user error: they append a record with its source location, and the caller
// decides how to show it (GCC-style lines, JSON, a policy-rejected event).
#pragma once

#include <string>
#include <vector>

namespace isogate::policy {

// 1-based line and column, as editors and compilers print them. line 0 = no position.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
};

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity = Severity::Error;
  Location where;
  std::string message;
};

class Diagnostics {
 public:
  void error(const Location& where, std::string message);
  void warning(const Location& where, std::string message);
  void note(const Location& where, std::string message);

  bool hasErrors() const { return errorCount_ > 0; }
  int errorCount() const { return errorCount_; }
  int warningCount() const { return warningCount_; }
  const std::vector<Diagnostic>& all() const { return items_; }

  // Stable order for output: by file, line, column, then insertion order.
  std::vector<Diagnostic> sorted() const;

 private:
  std::vector<Diagnostic> items_;
  int errorCount_ = 0;
  int warningCount_ = 0;
};

// "policy.yaml:42:7: error: message" (GCC style; position parts omitted when unknown).
std::string formatDiagnostic(const Diagnostic& d);
const char* severityName(Severity s);

}  // namespace isogate::policy
