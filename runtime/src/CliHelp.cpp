//===- CliHelp.cpp - The --help text of a generated executable ------------===//

#include "CliCommon.h"

#include <cstdio>

namespace lamina::cli {

std::string trimNumber(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

namespace {

/// Formats one help entry: `head` padded to column `indent`, then `text`
/// wrapped at 79 columns with continuation lines indented to `indent`.
std::string wrap(const std::string &head, const std::string &text,
                 size_t indent = 24) {
  constexpr size_t kWidth = 79;
  std::string out = head;
  if (!head.empty() && out.size() + 1 > indent)
    out += "\n" + std::string(indent, ' ');
  else
    out += std::string(indent - out.size(), ' ');
  size_t col = indent;
  size_t pos = 0;
  bool first = true;
  while (pos < text.size()) {
    size_t end = text.find(' ', pos);
    if (end == std::string::npos)
      end = text.size();
    std::string word = text.substr(pos, end - pos);
    pos = end + 1;
    if (!first && col + 1 + word.size() > kWidth) {
      out += "\n" + std::string(indent, ' ');
      col = indent;
      first = true;
    }
    if (!first) {
      out += ' ';
      ++col;
    }
    out += word;
    col += word.size();
    first = false;
  }
  return out + "\n";
}

} // namespace

void printHelp(std::ostream &out, const std::string &prog, const ModelDesc &m,
               const char *kernels) {
  out << "Usage: " << prog << " train [DATA...] [options]\n"
      << "       " << prog << " eval DATA... --checkpoint FILE [options]\n"
      << "       " << prog << " predict INPUTS... --checkpoint FILE "
      << "[-o OUT.npy] [options]\n"
      << "       " << prog << " bench [--pipeline P] [--batch N] "
      << "[--threads T] [--seconds S]\n\n";
  out << "Model " << m.name;
  if (!m.file.empty())
    out << " (" << m.file << ")";
  out << ", " << m.parameterCount() << " parameters\n";
  if (kernels)
    out << "  kernels: " << kernels << "\n";
  auto list = [&](const char *title, const std::vector<TensorSpec> &specs) {
    if (specs.empty())
      return;
    out << "  " << title;
    for (size_t i = 0; i < specs.size(); ++i)
      out << (i ? ", " : "") << specs[i].describe();
    out << "\n";
  };
  list("inputs:  ", m.inputs);
  list("labels:  ", m.labels);
  list("outputs: ", m.outputs);
  if (!m.metrics.empty()) {
    out << "  metrics: ";
    for (size_t i = 0; i < m.metrics.size(); ++i)
      out << (i ? ", " : "") << m.metrics[i].name;
    out << "\n";
  }
  if (!m.hasLoss)
    out << "  (no loss: this model can " << whatModelCanDo(m) << ")\n";
  if (m.train) {
    const TrainDefaults &t = *m.train;
    out << "  train defaults:";
    if (t.epochs)
      out << " epochs " << *t.epochs << ",";
    if (t.batch)
      out << " batch " << *t.batch << ",";
    if (t.lr)
      out << " lr " << trimNumber(*t.lr) << ",";
    out << " seed " << t.seed.value_or(0) << ", validation split "
        << trimNumber(t.validationSplit) << ", optimizer " << t.optimizer;
    if (t.clipNorm > 0)
      out << ", clip_norm " << trimNumber(t.clipNorm);
    if (const ScheduleSpec &s = t.schedule; !s.kind.empty()) {
      out << ", schedule " << s.kind;
      if (s.warmup)
        out << " (warmup " << s.warmup << ")";
    }
    if (const EarlyStopSpec &e = t.earlyStop; !e.monitor.empty())
      out << ", early stopping on val_" << e.monitor << " (patience "
          << e.patience << ")";
    out << "\n";
  } else if (m.hasLoss) {
    out << "  no train block: train needs --epochs, --lr and --batch\n";
  }

  out << "\nCommands:\n"
      << wrap("  train [DATA...]", "train from the initial parameters (or "
                                   "--resume FILE), one line per epoch")
      << wrap("  eval DATA...", "print the loss and metrics of the "
                                "--checkpoint FILE on DATA (no --checkpoint "
                                "when the model file gives every parameter)")
      << wrap("  predict INPUTS...", "run the model on INPUTS; write the "
                                     "outputs to -o OUT.npy or print one "
                                     "row per sample (no --checkpoint when "
                                     "the model file gives every parameter)")
      << wrap("  bench", "time a pipeline on synthetic data: throughput, "
                         "latency percentiles, per-kernel times, GFLOP/s and "
                         "the share of the FMA peak measured at start")
      << wrap("  gradcheck DATA...",
              "check the compiled gradients against central differences of "
              "the loss on the first records of DATA, in f64 (an "
              "executable built with laminac --gradcheck)");

  std::string names;
  for (const auto *list : {&m.inputs, &m.labels})
    for (const TensorSpec &t : *list)
      names += (names.empty() ? "" : " ") + t.name;
  out << "\n"
      << wrap("",
              "DATA is one file per input, then one per label (" + names +
                  "), or NAME=PATH pairs; INPUTS are the input files "
                  "only. Files are IDX (.gz or not; u8 values scaled to "
                  "[0, 1]), CSV (one record per row; fields separated "
                  "by ',', ';' or blanks, as numpy.savetxt writes) or NPY. "
                  "A record holds one sample: 28x28 images feed [batch, "
                  "784]. With --columns or --label-column, DATA is one CSV "
                  "file holding the input and the label. "
                  "eval and predict -o read NPY files of the tensors' "
                  "element types a batch at a time; other files are "
                  "loaded whole first.",
              0);

  out << "\nOptions:\n";
  for (const OptionInfo &o : kOptions) {
    std::string spell = o.alias ? std::string(o.alias) + ", " + o.name : o.name;
    if (o.value)
      spell += std::string(" ") + o.value;
    std::string cmds;
    if (!(o.train && o.eval && o.predict && o.bench && o.gradcheck)) {
      cmds = " [";
      if (o.train)
        cmds += "train";
      if (o.eval)
        cmds += std::string(cmds.size() > 2 ? ", " : "") + "eval";
      if (o.predict)
        cmds += std::string(cmds.size() > 2 ? ", " : "") + "predict";
      if (o.bench)
        cmds += std::string(cmds.size() > 2 ? ", " : "") + "bench";
      if (o.gradcheck)
        cmds += std::string(cmds.size() > 2 ? ", " : "") + "gradcheck";
      cmds += "]";
    }
    out << wrap("  " + spell, o.help + cmds);
  }
  out << "\nExit status: 0 on success, 1 on a runtime error, 2 on a usage "
         "error.\n";
}

} // namespace lamina::cli
