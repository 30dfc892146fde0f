//===- CliTest.cpp - The command line, end to end on a fake model ---------===//

#include "lamina/Cli.h"
#include "lamina/Checkpoint.h"
#include "lamina/Data.h"

#include "FakeModel.h"
#include "TestUtil.h"

#include <cmath>
#include <cstring>
#include <sstream>

using namespace lamina;
using namespace lamina::test;

namespace {

int gThreads = 0;
int setThreads(int n) {
  gThreads = n;
  return 0;
}

struct Result {
  int code;
  std::string out;
  std::string err;
};

/// Runs the command line on the fake model with descriptor `json`.
Result runWithJson(const std::string &json, std::vector<std::string> args) {
  args.insert(args.begin(), "/path/to/lin");
  std::vector<const char *> argv;
  for (const std::string &a : args)
    argv.push_back(a.c_str());
  ModelSource src;
  src.json = json.c_str();
  src.pipelines = fakePipelines();
  src.setNumThreads = setThreads;
  std::ostringstream out, err;
  int code =
      runCli(static_cast<int>(argv.size()), argv.data(), src, out, err, false);
  return {code, out.str(), err.str()};
}

Result run(std::vector<std::string> args, bool withTrain = true) {
  return runWithJson(fakeModelJson(withTrain), std::move(args));
}

/// `text` with its one occurrence of `from` replaced by `to`.
std::string replaced(std::string text, const std::string &from,
                     const std::string &to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos)
    text.replace(at, from.size(), to);
  return text;
}

/// 100 records of y = 2 x0 - 3 x1 + 0.5.
struct Data {
  TempDir dir;
  std::string x = dir.file("x.csv"), y = dir.file("y.csv");
  Data() {
    std::string xs = "x0,x1\n", ys;
    for (int i = 0; i < 100; ++i) {
      double a = std::sin(i * 0.7), b = std::cos(i * 1.3);
      xs += std::to_string(a) + "," + std::to_string(b) + "\n";
      ys += std::to_string(2 * a - 3 * b + 0.5) + "\n";
    }
    writeText(x, xs);
    writeText(y, ys);
  }
};

std::vector<float> paramsOf(const std::string &path) {
  Checkpoint ck(path);
  std::vector<float> v;
  for (const std::string &name : ck.names()) {
    Tensor t(DType::F32, name[0] == 'w' ? Shape{2, 1} : Shape{1});
    ck.read(name, t);
    v.insert(v.end(), t.data<float>(), t.data<float>() + t.numel());
  }
  return v;
}

int countLines(const std::string &s, const std::string &prefix) {
  int n = 0;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);)
    n += line.rfind(prefix, 0) == 0;
  return n;
}

} // namespace

TEST(Cli, HelpDescribesModelAndOptions) {
  Result r = run({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Model Lin (lin.lam), 3 parameters"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("x f32[batch, 2]"), std::string::npos);
  EXPECT_NE(r.out.find("y f32[batch, 1]"), std::string::npos);
  EXPECT_NE(r.out.find("pred f32[batch, 1]"), std::string::npos);
  for (const char *opt : {"--epochs", "--lr", "--batch", "--seed",
                          "--checkpoint", "--resume", "--val-split", "--test",
                          "--threads", "-o", "--columns", "--label-column"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
  EXPECT_EQ(run({"train", "--help"}).code, 0);
}

TEST(Cli, UsageErrorsExitWith2) {
  Data d;
  struct Case {
    std::vector<std::string> args;
    const char *message;
  } cases[] = {
      {{}, "missing command"},
      {{"fit"}, "unknown command 'fit'"},
      {{"train", d.x, d.y, "--epochz", "3"}, "unknown option '--epochz'"},
      {{"train", d.x, d.y, "--epochs"}, "'--epochs' needs a value"},
      {{"train", d.x, d.y, "--epochs", "--lr", "1"}, "needs a value"},
      {{"train", d.x, d.y, "--epochs", "three"}, "--epochs expects an integer"},
      {{"train", d.x, d.y, "--batch", "0"}, "--batch expects an integer"},
      {{"train", d.x, d.y, "--lr", "-1"}, "--lr expects a number >= 0"},
      {{"train", d.x, d.y, "--val-split", "1"}, "--val-split expects"},
      {{"train", d.x, d.y, "-o", "out.npy"}, "does not apply to 'train'"},
      {{"train", d.x}, "no data for y f32[batch, 1]"},
      {{"train"}, "train needs data"},
      {{"train", d.x, d.y, d.y}, "too many data files"},
      {{"train", d.x, d.dir.file("nope.csv")}, "does not exist"},
      {{"train", "x=" + d.x, "x=" + d.y}, "given twice"},
      {{"train", d.x, d.y, "--resume", d.dir.file("none")}, "does not exist"},
      {{"train", d.x, d.y, "--test"}, "--test needs data"},
      {{"eval", d.x, d.y}, "eval needs --checkpoint"},
      {{"predict", d.x}, "predict needs --checkpoint"},
      {{"predict", d.x, "--checkpoint", d.dir.file("none")}, "does not exist"},
  };
  for (const Case &c : cases) {
    Result r = run(c.args);
    EXPECT_EQ(r.code, kExitUsage) << c.message << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos)
        << "expected: " << c.message << "\ngot: " << r.err;
    EXPECT_NE(r.err.find("lin: error: "), std::string::npos) << r.err;
  }
  Result r = run({"train", d.x, d.y}, /*withTrain=*/false);
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("no train block; pass --epochs"), std::string::npos)
      << r.err;
}

TEST(Cli, TrainEvalPredict) {
  Data d;
  std::string ck = d.dir.file("lin.safetensors");
  fakeTrainBatches().clear();
  Result r = run({"train", d.x, d.y, "--epochs", "30", "--checkpoint", ck,
                  "--threads", "3"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(gThreads, 3);
  EXPECT_EQ(countLines(r.out, "epoch "), 30) << r.out;
  EXPECT_NE(r.out.find("epoch 1/30  loss "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  mae "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" samples/s  "), std::string::npos) << r.out;
  // 100 records in batches of 32: the last batch of each epoch has 4 rows.
  ASSERT_EQ(fakeTrainBatches().size(), 30u * 4);
  EXPECT_EQ(fakeTrainBatches()[3], 4);
  EXPECT_EQ(fakeTrainBatches()[4], 32);

  Checkpoint c(ck);
  EXPECT_EQ(c.info().epoch, 30);
  EXPECT_EQ(c.info().step, 120);
  EXPECT_EQ(c.info().seed, 7u);
  EXPECT_EQ(c.names().size(), 4u);
  // Sorted by name: b, b.velocity, w (2 values), w.velocity.
  std::vector<float> p = paramsOf(ck);
  EXPECT_NEAR(p[0], 0.5, 0.05);
  EXPECT_NEAR(p[2], 2.0, 0.05);
  EXPECT_NEAR(p[3], -3.0, 0.05);

  r = run({"eval", "y=" + d.y, "x=" + d.x, "--checkpoint", ck, "--batch", "7"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("loss ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("(100 records)"), std::string::npos) << r.out;
  double loss = std::stod(r.out.substr(5));
  EXPECT_LT(loss, 0.01);

  r = run({"predict", d.x, "--checkpoint", ck});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(countLines(r.out, ""), 100);
  double first = std::stod(r.out);
  EXPECT_NEAR(first, 2 * std::sin(0.0) - 3 * std::cos(0.0) + 0.5, 0.05);

  std::string out = d.dir.file("pred.npy");
  r = run({"predict", d.x, "--checkpoint", ck, "-o", out, "--batch", "33"});
  ASSERT_EQ(r.code, 0) << r.err;
  RawArray a = readArray(out);
  EXPECT_EQ(a.type, ElemType::F32);
  EXPECT_EQ(a.shape, (Shape{100, 1}));
  float v;
  std::memcpy(&v, a.bytes.data() + a.offset, 4);
  EXPECT_NEAR(v, first, 1e-4);
}

TEST(Cli, SameSeedSameRun) {
  Data d;
  std::string a = d.dir.file("a"), b = d.dir.file("b");
  ASSERT_EQ(run({"train", d.x, d.y, "--checkpoint", a, "--seed", "5"}).code, 0);
  ASSERT_EQ(run({"train", d.x, d.y, "--checkpoint", b, "--seed", "5"}).code, 0);
  EXPECT_EQ(paramsOf(a), paramsOf(b));
  ASSERT_EQ(run({"train", d.x, d.y, "--checkpoint", b, "--seed", "6"}).code, 0);
  EXPECT_NE(paramsOf(a), paramsOf(b));
}

TEST(Cli, ResumeContinuesExactly) {
  Data d;
  std::string full = d.dir.file("full"), part = d.dir.file("part");
  ASSERT_EQ(
      run({"train", d.x, d.y, "--epochs", "4", "--checkpoint", full}).code, 0);
  ASSERT_EQ(
      run({"train", d.x, d.y, "--epochs", "2", "--checkpoint", part}).code, 0);
  Result r = run({"train", d.x, d.y, "--epochs", "4", "--resume", part});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("resumed from"), std::string::npos);
  EXPECT_EQ(countLines(r.out, "epoch 3/4"), 1) << r.out;
  EXPECT_EQ(countLines(r.out, "epoch "), 2) << r.out;
  EXPECT_EQ(paramsOf(full), paramsOf(part));
  EXPECT_EQ(Checkpoint(part).info().step, Checkpoint(full).info().step);

  r = run({"train", d.x, d.y, "--epochs", "4", "--resume", part});
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("nothing to do"), std::string::npos) << r.out;
}

TEST(Cli, ValidationAndTest) {
  Data d;
  Result r = run({"train", d.x, d.y, "--epochs", "2", "--val-split", "0.2",
                  "--test", d.x, d.y, "--lr=0.01"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("80 training records, 20 validation records"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(countLines(r.out, "epoch "), 2);
  EXPECT_NE(r.out.find("  val_loss "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  val_mae "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("test loss "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  test mae "), std::string::npos) << r.out;
}

TEST(Cli, DivergenceStopsWithExit1AndKeepsCheckpoint) {
  Data d;
  std::string ck = d.dir.file("ck");
  ASSERT_EQ(run({"train", d.x, d.y, "--epochs", "1", "--checkpoint", ck}).code,
            0);
  std::vector<uint8_t> before = readBytes(ck);
  Result r =
      run({"train", d.x, d.y, "--epochs", "3", "--resume", ck, "--lr", "1e30"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("at epoch 2, step "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("diverged"), std::string::npos) << r.err;
  EXPECT_EQ(readBytes(ck), before);
}

TEST(Cli, RuntimeErrorsExitWith1) {
  Data d;
  writeText(d.dir.file("bad.csv"), "1,2\n3\n");
  Result r = run({"train", d.dir.file("bad.csv"), d.y});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("bad.csv:2:"), std::string::npos) << r.err;

  writeText(d.dir.file("ck"), "not a checkpoint");
  r = run({"eval", d.x, d.y, "--checkpoint", d.dir.file("ck")});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("not a valid checkpoint"), std::string::npos) << r.err;

  // A label file with the wrong record count.
  writeText(d.dir.file("y3.csv"), "1\n2\n3\n");
  r = run({"train", d.x, d.dir.file("y3.csv")});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("3 records"), std::string::npos) << r.err;
}

TEST(Cli, MissingPipelinesSayWhatTheModelCanDo) {
  Data d;
  std::string noLoss =
      replaced(fakeModelJson(), "\"has_loss\": true", "\"has_loss\": false");
  std::string noMetric =
      replaced(noLoss,
               "[{\"name\": \"mae\", \"arg\": \"m_mae\", \"dtype\": \"f32\", "
               "\"shape\": [], \"finish\": \"rows\"}]",
               "[]");
  std::string noOutput = replaced(
      fakeModelJson(),
      "[{\"name\": \"pred\", \"arg\": \"out_pred\", \"dtype\": \"f32\",\n"
      "                 \"shape\": [-1, 1]}]",
      "[]");
  struct Case {
    const std::string &json;
    std::vector<std::string> args;
    const char *message;
  } cases[] = {
      {noLoss,
       {"train", d.x, d.y},
       "model 'Lin' has no loss, so it has no train pipeline; it can eval and "
       "predict"},
      {noMetric,
       {"train", d.x, d.y},
       "model 'Lin' has no loss, so it has no train pipeline; it can only "
       "predict"},
      {noMetric,
       {"eval", d.x, d.y, "--checkpoint", d.dir.file("none")},
       "model 'Lin' has no loss and no metric, so it has no eval pipeline; it "
       "can only predict"},
      {noOutput,
       {"predict", d.x, "--checkpoint", d.dir.file("none")},
       "model 'Lin' has no output, so it has no predict pipeline; it can train "
       "and eval"},
  };
  for (const Case &c : cases) {
    Result r = runWithJson(c.json, c.args);
    EXPECT_EQ(r.code, kExitUsage) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos)
        << "expected: " << c.message << "\ngot: " << r.err;
  }
  Result r = runWithJson(noMetric, {"--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_NE(r.out.find("(no loss: this model can only predict)"),
            std::string::npos)
      << r.out;
}

TEST(Cli, ColumnsOfOneFile) {
  // The features and the label of Data side by side, the label between the
  // features and the fields separated by ';'.
  Data d;
  std::string table = d.dir.file("table.csv");
  {
    std::string text = "x0;y;x1\n";
    for (int i = 0; i < 100; ++i) {
      double a = std::sin(i * 0.7), b = std::cos(i * 1.3);
      text += std::to_string(a) + ";" + std::to_string(2 * a - 3 * b + 0.5) +
              ";" + std::to_string(b) + "\n";
    }
    writeText(table, text);
  }
  std::string ck = d.dir.file("lin.safetensors");
  Result r = run({"train", table, "--label-column", "y", "--epochs", "30",
                  "--checkpoint", ck});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("100 training records"), std::string::npos) << r.out;
  std::vector<float> p = paramsOf(ck);
  EXPECT_NEAR(p[0], 0.5, 0.05);
  EXPECT_NEAR(p[2], 2.0, 0.05);
  EXPECT_NEAR(p[3], -3.0, 0.05);

  // The same columns by number, by range and by name give the same loss.
  std::string loss;
  for (std::vector<std::string> cols : std::vector<std::vector<std::string>>{
           {"--label-column", "1"},
           {"--label-column=-2"},
           {"--columns", "0,2", "--label-column", "1"},
           {"--columns", "x0,x1"},
           {"--columns", "0,-1", "--label-column", "y"}}) {
    std::vector<std::string> args = {"eval", table, "--checkpoint", ck};
    args.insert(args.end(), cols.begin(), cols.end());
    r = run(args);
    ASSERT_EQ(r.code, 0) << cols[0] << "\n" << r.err;
    EXPECT_NE(r.out.find("(100 records)"), std::string::npos) << r.out;
    EXPECT_LT(std::stod(r.out.substr(5)), 0.01) << r.out;
    if (loss.empty())
      loss = r.out;
    EXPECT_EQ(r.out, loss) << cols[0];
  }
  // A range that takes the label column too is caught.
  r = run({"eval", table, "--checkpoint", ck, "--columns", "0:2",
           "--label-column", "y"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("--columns 0:2 and --label-column y both pick column "
                       "1 'y'"),
            std::string::npos)
      << r.err;

  // predict leaves the label column out of the input.
  r = run({"predict", table, "--checkpoint", ck, "--label-column", "y"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(countLines(r.out, ""), 100);
  EXPECT_NEAR(std::stod(r.out), 2 * std::sin(0.0) - 3 * std::cos(0.0) + 0.5,
              0.05);

  // --test takes the same columns of its one file.
  r = run({"train", table, "--label-column", "y", "--epochs", "1", "--test",
           table});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("test loss "), std::string::npos) << r.out;
}

TEST(Cli, ColumnsErrors) {
  Data d;
  std::string table = d.dir.file("table.csv");
  writeText(table, "a,b,label\n1,2,3\n4,5,6\n");
  struct Case {
    std::vector<std::string> args;
    const char *message;
  } usage[] = {
      {{"train", d.x, d.y, "--label-column", "1"},
       "train: with --label-column, the input and the label come from one "
       "CSV file, but 2 data files are given"},
      {{"train", "--columns", "0:2"},
       "train: with --columns, the input and the label come from one CSV "
       "file, but no data file is given"},
      {{"train", table, "--label-column", "3"},
       "--label-column 3: column 3 is out of range; "},
      {{"train", table, "--label-column", "lable"},
       "no column is named 'lable' (did you mean 'label'?)"},
      {{"train", table, "--columns", "0:3"},
       "--columns 0:3 picks every column, leaving none for the label y "
       "f32[batch, 1]; pass --label-column"},
      {{"train", d.dir.file("nope.csv"), "--label-column", "-1"},
       "train: data file '"},
      {{"bench", "--columns", "0:2"}, "does not apply to 'bench'"},
  };
  for (const Case &c : usage) {
    Result r = run(c.args);
    EXPECT_EQ(r.code, kExitUsage) << c.message << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos)
        << "expected: " << c.message << "\ngot: " << r.err;
  }

  // Columns that do not fit the input are a data error.
  Result r = run({"train", table, "--columns", "0", "--label-column", "2"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("table.csv: --columns 0 picks 1 column (0 'a'), but "
                       "the model's input x f32[batch, 2] takes 2 values per "
                       "sample"),
            std::string::npos)
      << r.err;
  r = run({"train", table, "--label-column", "0,1"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("leaving out --label-column 0,1 leaves 1 column (2 "
                       "'label'), but the model's input x f32[batch, 2] takes "
                       "2 values"),
            std::string::npos)
      << r.err;

  // A model with two inputs takes one file per tensor.
  std::string two = replaced(
      fakeModelJson(),
      R"("inputs":  [{"name": "x", "arg": "in_x", "dtype": "f32", "shape": [-1, 2]}])",
      R"("inputs":  [{"name": "x", "arg": "in_x", "dtype": "f32", "shape": [-1, 2]},
                     {"name": "z", "arg": "in_z", "dtype": "f32", "shape": [-1, 1]}])");
  r = runWithJson(two, {"train", table, "--label-column", "label"});
  EXPECT_EQ(r.code, kExitUsage) << r.err;
  EXPECT_NE(r.err.find("with --label-column, the input and the label come "
                       "from one CSV file, so the model must have one input "
                       "and at most one label; model 'Lin' has 2 inputs and 1 "
                       "label"),
            std::string::npos)
      << r.err;
}
