#include "policy/compiler/diagnostics.h"

#include <algorithm>

namespace portvakt::policy {

Diagnostic& Diagnostics::error(SourceLocation where, std::string code, std::string message) {
  items_.push_back({std::move(where), DiagnosticSeverity::kError, std::move(code), std::move(message), {}});
  return items_.back();
}

Diagnostic& Diagnostics::warning(SourceLocation where, std::string code, std::string message) {
  items_.push_back({std::move(where), DiagnosticSeverity::kWarning, std::move(code), std::move(message), {}});
  return items_.back();
}

int Diagnostics::errorCount() const {
  return static_cast<int>(std::count_if(items_.begin(), items_.end(),
                                        [](const Diagnostic& d) { return d.severity == DiagnosticSeverity::kError; }));
}

int Diagnostics::warningCount() const { return static_cast<int>(items_.size()) - errorCount(); }

std::vector<Diagnostic> Diagnostics::sorted() const {
  std::vector<Diagnostic> out = items_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.where != b.where) return a.where < b.where;
    return a.code < b.code;
  });
  // The same problem reached twice (e.g. through a YAML alias) is reported once.
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Diagnostic& a, const Diagnostic& b) {
                          return a.where == b.where && a.code == b.code && a.message == b.message;
                        }),
            out.end());
  return out;
}

std::string formatLocation(const SourceLocation& where) {
  if (where.line <= 0) return where.file;
  return where.file + ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
}

std::string Diagnostics::summary() const {
  auto plural = [](int n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); };
  return plural(errorCount(), "error") + ", " + plural(warningCount(), "warning");
}

std::string Diagnostics::format() const {
  std::string out;
  for (const Diagnostic& d : sorted()) {
    out += formatLocation(d.where) + ": " + (d.severity == DiagnosticSeverity::kError ? "error[" : "warning[") + d.code +
           "]: " + d.message + "\n";
    for (const DiagnosticNote& n : d.notes) out += formatLocation(n.where) + ": note: " + n.message + "\n";
  }
  return out + summary() + "\n";
}

}  // namespace portvakt::policy
