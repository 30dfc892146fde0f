//===- ToolCommon.h - What the command-line tools share -------------------===//
//
// laminac, lamina-opt and lamina-run parse their command lines with CLI11,
// whose own exit codes for a bad command line run from 105 to 114; the
// tools exit 2 instead, as the generated executables do.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_TOOLS_TOOLCOMMON_H
#define LAMINA_TOOLS_TOOLCOMMON_H

#include <CLI/CLI.hpp>

#include <optional>

namespace lamina {

/// The exit status of a command-line mistake.
constexpr int kExitUsage = 2;

/// Parses argv into `app`. Returns nullopt to go on, or the exit status:
/// 0 after --help or --version, kExitUsage after a mistake (CLI11 has
/// printed its message).
inline std::optional<int> parseCommandLine(CLI::App &app, int argc,
                                           char **argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  return std::nullopt;
}

} // namespace lamina

#endif // LAMINA_TOOLS_TOOLCOMMON_H
