//===- Diagnostics.cpp - clang-style diagnostics --------------------------===//
#include "lamina/Diagnostics.h"

#include <iostream>

namespace lamina {

DiagnosticEngine::DiagnosticEngine() : os_(&std::cerr) {}
DiagnosticEngine::DiagnosticEngine(std::ostream &os) : os_(&os) {}

void DiagnosticEngine::addSource(const std::string &file, std::string text) {
  sources_[file] = std::move(text);
}

/// Returns line `line` (1-based) of `text` without its newline.
static std::string lineOf(const std::string &text, unsigned line) {
  size_t start = 0;
  for (unsigned l = 1; l < line; ++l) {
    start = text.find('\n', start);
    if (start == std::string::npos)
      return "";
    ++start;
  }
  size_t end = text.find('\n', start);
  std::string s =
      text.substr(start, end == std::string::npos ? end : end - start);
  if (!s.empty() && s.back() == '\r')
    s.pop_back();
  return s;
}

void DiagnosticEngine::report(Severity sev, const SourceLoc &loc,
                              const std::string &msg) {
  const char *label = sev == Severity::Error     ? "error"
                      : sev == Severity::Warning ? "warning"
                                                 : "note";
  if (sev == Severity::Error)
    ++numErrors_;
  std::ostream &os = *os_;
  if (!loc.isKnown()) {
    os << (loc.file.empty() ? std::string("lamina") : loc.file) << ": " << label
       << ": " << msg << '\n';
    return;
  }
  os << loc.file << ':' << loc.line << ':' << loc.col << ": " << label << ": "
     << msg << '\n';
  auto it = sources_.find(loc.file);
  if (it == sources_.end())
    return;
  std::string text = lineOf(it->second, loc.line);
  os << text << '\n';
  // Keep tabs so the caret lines up under the same columns.
  std::string pad;
  for (unsigned i = 1; i < loc.col && i - 1 < text.size(); ++i)
    pad += text[i - 1] == '\t' ? '\t' : ' ';
  os << pad << "^\n";
}

} // namespace lamina
