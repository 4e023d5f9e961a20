#include "policy/diagnostics.h"

#include <algorithm>

namespace isogate::policy {

void Diagnostics::error(const Location& where, std::string message) {
  items_.push_back({Severity::Error, where, std::move(message)});
  ++errorCount_;
}

void Diagnostics::warning(const Location& where, std::string message) {
  items_.push_back({Severity::Warning, where, std::move(message)});
  ++warningCount_;
}

void Diagnostics::note(const Location& where, std::string message) {
  items_.push_back({Severity::Note, where, std::move(message)});
}

std::vector<Diagnostic> Diagnostics::sorted() const {
  std::vector<Diagnostic> out = items_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.where.file != b.where.file) return a.where.file < b.where.file;
    if (a.where.line != b.where.line) return a.where.line < b.where.line;
    return a.where.column < b.where.column;
  });
  return out;
}

const char* severityName(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

std::string formatDiagnostic(const Diagnostic& d) {
  std::string out = d.where.file.empty() ? std::string("<input>") : d.where.file;
  if (d.where.line > 0) {
    out += ':' + std::to_string(d.where.line);
    if (d.where.column > 0) out += ':' + std::to_string(d.where.column);
  }
  out += ": ";
  out += severityName(d.severity);
  out += ": ";
  out += d.message;
  return out;
}

}  // namespace isogate::policy
