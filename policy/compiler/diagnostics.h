#pragma once
// Diagnostics of the policy compiler. Like Click's ErrorHandler, the compiler
// collects every problem before it stops; each one names file, line and column
// and a stable code, and may carry notes that point at a second place ("the
// invariant is declared here").
//
// Format:  file:line:col: error[code]: message
//          file:line:col: note: message

#include <string>
#include <vector>

#include "policy/tables/expected.h"

namespace portvakt::policy {

struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 means "the file as a whole"
  int column = 0;  // 1-based
  auto operator<=>(const SourceLocation&) const = default;
};

enum class DiagnosticSeverity { kError, kWarning };

struct DiagnosticNote {
  SourceLocation where;
  std::string message;
};

struct Diagnostic {
  SourceLocation where;
  DiagnosticSeverity severity = DiagnosticSeverity::kError;
  std::string code;
  std::string message;
  std::vector<DiagnosticNote> notes;
};

class Diagnostics {
 public:
  Diagnostic& error(SourceLocation where, std::string code, std::string message);
  Diagnostic& warning(SourceLocation where, std::string code, std::string message);

  bool hasErrors() const { return errorCount() > 0; }
  int errorCount() const;
  int warningCount() const;
  // Sorted by file, line, column, then code: stable output for tests and diffs.
  std::vector<Diagnostic> sorted() const;
  const std::vector<Diagnostic>& all() const { return items_; }

  // Every diagnostic with its notes, then a summary line.
  std::string format() const;
  std::string summary() const;

 private:
  std::vector<Diagnostic> items_;
};

std::string formatLocation(const SourceLocation& where);

// A problem found inside one value by a helper that does not know where the
// value was written: the caller reports it at the value's place
// (Diagnostics::error(where, code, message)), so it still reads file:line:col.
struct ValueError {
  std::string message;
};
template <class T>
using ValueResult = Expected<T, ValueError>;

}  // namespace portvakt::policy
