//===- ToolCommon.h - What the command-line tools share -------------------===//
//
// laminac, lamina-opt and lamina-run parse their command lines with CLI11,
// whose own exit codes for a bad command line run from 105 to 114; the
// tools exit 2 instead, as the generated executables do.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_TOOLS_TOOLCOMMON_H
#define LAMINA_TOOLS_TOOLCOMMON_H

#include "lamina/abi/Spelling.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

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
  } catch (const CLI::ExtrasError &e) {
    // An unknown option: name it, with the option it may have meant.
    std::vector<std::string> names;
    for (const CLI::Option *o : app.get_options())
      for (const std::string &l : o->get_lnames())
        names.push_back("--" + l);
    std::string tool = argc > 0 ? argv[0] : "lamina";
    tool = tool.substr(tool.rfind('/') + 1);
    for (const std::string &a : app.remaining()) {
      if (a.size() < 2 || a[0] != '-')
        continue;
      std::string flag = a.substr(0, a.find('='));
      std::string m = abi::closestMatch(flag, names);
      // laminac's most likely mistake: an option of the executable it
      // builds.
      if (m.empty() && tool == "laminac")
        m = "; the executable that laminac builds takes the options of "
            "training: ./MODEL train --help";
      else if (!m.empty())
        m = "; did you mean '" + m + "'?";
      std::cerr << tool << ": error: unknown option '" << flag << "'" << m
                << "\nRun '" << tool << " --help' for usage.\n";
      return kExitUsage;
    }
    return app.exit(e) == 0 ? 0 : kExitUsage;
  } catch (const CLI::ParseError &e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  return std::nullopt;
}

} // namespace lamina

#endif // LAMINA_TOOLS_TOOLCOMMON_H
