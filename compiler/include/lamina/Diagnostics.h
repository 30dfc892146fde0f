//===- Diagnostics.h - clang-style errors with file:line:col and a caret --===//
#ifndef LAMINA_DIAGNOSTICS_H
#define LAMINA_DIAGNOSTICS_H

#include "lamina/IR.h"

#include <iosfwd>
#include <map>
#include <string>

namespace lamina {

enum class Severity { Error, Warning, Note };

/// Collects and prints diagnostics. Each one is printed at once as
///   file:line:col: error: message
///     source line
///         ^
/// The source line and caret are shown when the file's text was registered
/// with addSource.
class DiagnosticEngine {
public:
  /// Prints to std::cerr unless another stream is given.
  DiagnosticEngine();
  explicit DiagnosticEngine(std::ostream &os);

  /// Registers the text of `file` so diagnostics can quote its lines.
  void addSource(const std::string &file, std::string text);

  /// Reports a diagnostic at `loc` (an unknown loc prints "lamina: error:").
  void report(Severity sev, const SourceLoc &loc, const std::string &msg);
  void error(const SourceLoc &loc, const std::string &msg) {
    report(Severity::Error, loc, msg);
  }
  void warning(const SourceLoc &loc, const std::string &msg) {
    report(Severity::Warning, loc, msg);
  }
  void note(const SourceLoc &loc, const std::string &msg) {
    report(Severity::Note, loc, msg);
  }

  unsigned numErrors() const { return numErrors_; }
  bool hasErrors() const { return numErrors_ != 0; }

private:
  std::ostream *os_;
  std::map<std::string, std::string> sources_;
  unsigned numErrors_ = 0;
};

} // namespace lamina

#endif // LAMINA_DIAGNOSTICS_H
