//===- FrontendFuzzer.cpp - libFuzzer over the whole front end ------------===//
//
// Bytes -> parseModelFile -> buildGraph -> verifyGraph -> buildTrainStep
// (when the model has a loss). Besides sanitizer reports, crashes, hangs and
// allocations past -rss_limit_mb / -malloc_limit_mb, it stops on a broken
// contract:
//   - a stage that fails must have reported an error;
//   - a graph built by the front end must pass the verifier;
//   - the printed IR of the forward graph and of the train step must parse
//     back and print the same.
//
//===----------------------------------------------------------------------===//

#include "FuzzUtil.h"

#include "lamina/AST.h"
#include "lamina/Autodiff.h"
#include "lamina/Diagnostics.h"
#include "lamina/Frontend.h"
#include "lamina/IRText.h"

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

using namespace lamina;
using lamina::fuzz::nullStream;
using lamina::fuzz::violated;

/// Checks that printGraph(parseGraph(printGraph(g))) == printGraph(g), the
/// module's run defaults included.
static void checkRoundTrip(const Graph &g,
                           const std::optional<TrainConfig> &defaults) {
  std::ostringstream first;
  printGraph(g, first, {}, defaults);
  DiagnosticEngine diag(nullStream());
  std::optional<TrainConfig> parsed;
  std::unique_ptr<Graph> again =
      parseGraph("roundtrip.lir", first.str(), diag, &parsed);
  if (!again)
    violated("the printed IR of a front-end graph does not parse");
  std::ostringstream second;
  printGraph(*again, second, {}, parsed);
  if (second.str() != first.str())
    violated("the printed IR of a front-end graph prints differently after "
             "parsing");
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  DiagnosticEngine diag(nullStream());
  std::unique_ptr<ast::ModelFile> file = parseModelFile("fuzz.lam", text, diag);
  if (!file) {
    if (!diag.hasErrors())
      violated("parseModelFile failed without an error");
    return 0;
  }
  std::optional<TrainConfig> defaults;
  std::unique_ptr<Graph> forward = buildGraph(*file, diag, "", &defaults);
  if (!forward) {
    if (!diag.hasErrors())
      violated("buildGraph failed without an error");
    return 0;
  }
  if (!verifyGraph(*forward, diag))
    violated("a graph built by the front end fails the verifier");
  checkRoundTrip(*forward, defaults);
  if (!forward->loss())
    return 0;
  Graph train(forward->name());
  if (!buildTrainStep(*forward, defaults.value_or(TrainConfig{}), train,
                      diag)) {
    if (!diag.hasErrors())
      violated("buildTrainStep failed without an error");
    return 0;
  }
  if (!verifyGraph(train, diag))
    violated("a train step built by autodiff fails the verifier");
  checkRoundTrip(train, defaults);
  return 0;
}
