//===- IRParserFuzzer.cpp - libFuzzer over the textual IR parser ----------===//
//
// Bytes -> parseGraph -> verifyGraph -> printGraph -> parseGraph again ->
// printGraph, then each pass -> verifyGraph. Besides sanitizer reports,
// crashes, hangs and allocations past the limits, it stops on a broken
// contract:
//   - a failed parse must have reported an error;
//   - the printed form of a graph that verifies must parse back, verify, and
//     print the same;
//   - every pass of Passes.def, run in order on it, must keep it valid
//     (verifyGraph), and the result must round-trip too.
//
//===----------------------------------------------------------------------===//

#include "FuzzUtil.h"

#include "lamina/Diagnostics.h"
#include "lamina/IRText.h"
#include "lamina/Passes.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>

using namespace lamina;
using lamina::fuzz::nullStream;
using lamina::fuzz::violated;

/// Checks that the printed form of the verified graph `g` parses back,
/// verifies, and prints the same, its train line included.
static void checkRoundTrip(const Graph &g,
                           const std::optional<TrainConfig> &defaults) {
  // With locations, so the loc(...) syntax and file-name escapes round-trip
  // too.
  PrintOptions withLocs;
  withLocs.printLocs = true;
  std::ostringstream first;
  printGraph(g, first, withLocs, defaults);
  DiagnosticEngine again(nullStream());
  std::optional<TrainConfig> defaults2;
  std::unique_ptr<Graph> g2 =
      parseGraph("printed.lir", first.str(), again, &defaults2);
  if (!g2)
    violated("the printed form of a verified graph does not parse");
  if (!verifyGraph(*g2, again))
    violated("the printed form of a verified graph does not verify");
  std::ostringstream second;
  printGraph(*g2, second, withLocs, defaults2);
  if (second.str() != first.str())
    violated("a verified graph prints differently after a round trip");
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  DiagnosticEngine diag(nullStream());
  std::optional<TrainConfig> defaults;
  std::unique_ptr<Graph> g = parseGraph("fuzz.lir", text, diag, &defaults);
  if (!g) {
    if (!diag.hasErrors())
      violated("parseGraph failed without an error");
    return 0;
  }
  if (!verifyGraph(*g, diag))
    return 0;
  checkRoundTrip(*g, defaults);
  for (const PassInfo &pass : registeredPasses()) {
    pass.run(*g);
    DiagnosticEngine afterPass(nullStream());
    if (!verifyGraph(*g, afterPass)) {
      std::fprintf(stderr, "after pass %s:\n", pass.name);
      violated("a pass left a graph that does not verify");
    }
  }
  checkRoundTrip(*g, defaults);
  return 0;
}
