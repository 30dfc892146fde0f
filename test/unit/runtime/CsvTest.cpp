//===- CsvTest.cpp - CSV separators, headers and picking columns ----------===//

#include "lamina/Data.h"
#include "lamina/Error.h"

#include "TestUtil.h"

#include <cstdio>
#include <cstring>

using namespace lamina;
using namespace lamina::test;

namespace {

/// The values of a CSV array, row by row.
std::vector<double> valuesOf(const RawArray &a) {
  std::vector<double> v(a.bytes.size() / sizeof(double));
  std::memcpy(v.data(), a.bytes.data(), a.bytes.size());
  return v;
}

/// `rows` as numpy.savetxt(path, rows) writes them: each value with
/// '%.18e', separated by single spaces, one row per line.
std::string savetxt(const std::vector<std::vector<double>> &rows) {
  std::string text;
  char buf[64];
  for (const std::vector<double> &row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      std::snprintf(buf, sizeof(buf), "%.18e", row[i]);
      text += (i ? " " : "") + std::string(buf);
    }
    text += "\n";
  }
  return text;
}

/// Reads `text` as the file `name` in a fresh directory.
RawArray readText(const std::string &name, const std::string &text) {
  TempDir dir;
  writeText(dir.file(name), text);
  return readArray(dir.file(name));
}

/// The message readText throws for `text`.
std::string errorOfText(const std::string &name, const std::string &text) {
  return errorOf([&] { readText(name, text); });
}

} // namespace

//===----------------------------------------------------------------------===//
// Separators
//===----------------------------------------------------------------------===//

TEST(CsvSeparator, NumpySavetxtDefault) {
  std::vector<std::vector<double>> rows = {{-2.5, 1.0 / 3.0, 7},
                                           {1e-20, -0.0, 123456789.125}};
  std::string text = savetxt(rows);
  ASSERT_EQ(text.substr(0, 25), "-2.500000000000000000e+00") << text;
  RawArray a = readText("x.txt", text);
  ASSERT_EQ(a.shape, (Shape{2, 3}));
  std::vector<double> v = valuesOf(a);
  EXPECT_EQ(v[0], -2.5);
  // %.18e keeps every bit of a double.
  EXPECT_EQ(v[1], 1.0 / 3.0);
  EXPECT_EQ(v[3], 1e-20);
  EXPECT_EQ(v[5], 123456789.125);
  EXPECT_EQ(a.lines, (std::vector<int64_t>{1, 2}));
}

TEST(CsvSeparator, RunsOfBlanksAreOneSeparator) {
  // Leading and trailing blanks, a tab and several spaces, CRLF.
  RawArray a = readText("x.dat", "  1   2\t3 \r\n4\t\t5 6\n");
  ASSERT_EQ(a.shape, (Shape{2, 3}));
  EXPECT_EQ(valuesOf(a), (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST(CsvSeparator, TabSeparated) {
  RawArray a = readText("x.tsv", "1.5\t-2\t+3\n4\t5e-1\t6\n");
  ASSERT_EQ(a.shape, (Shape{2, 3}));
  EXPECT_EQ(valuesOf(a), (std::vector<double>{1.5, -2, 3, 4, 0.5, 6}));
}

TEST(CsvSeparator, SemicolonSeparated) {
  RawArray a = readText("x.csv", "1.5 ; -2;3\n4;5e-1 ;6\n");
  ASSERT_EQ(a.shape, (Shape{2, 3}));
  EXPECT_EQ(valuesOf(a), (std::vector<double>{1.5, -2, 3, 4, 0.5, 6}));
}

TEST(CsvSeparator, OneColumnHasNoSeparator) {
  RawArray a = readText("y.txt", "1\n 0 \n1\n");
  ASSERT_EQ(a.shape, (Shape{3, 1}));
  EXPECT_EQ(valuesOf(a), (std::vector<double>{1, 0, 1}));
}

TEST(CsvSeparator, HeaderWithEachSeparator) {
  struct Case {
    const char *text;
    std::vector<std::string> header;
  } cases[] = {
      {"a,b,label\n1,2,0\n", {"a", "b", "label"}},
      {"a;b;label\n1;2;0\n", {"a", "b", "label"}},
      {"a b\tlabel\n1 2 0\n", {"a", "b", "label"}},
      {"a\tb\tlabel\n1\t2\t0\n", {"a", "b", "label"}},
      // Names with blanks in a comma file; quoted names lose their quotes.
      {"\"sepal length\", sepal width ,label\n1,2,0\n",
       {"sepal length", "sepal width", "label"}},
  };
  for (const Case &c : cases) {
    RawArray a = readText("x.csv", c.text);
    EXPECT_EQ(a.header, c.header) << c.text;
    EXPECT_EQ(a.shape, (Shape{1, 3})) << c.text;
    EXPECT_EQ(valuesOf(a), (std::vector<double>{1, 2, 0})) << c.text;
    EXPECT_EQ(a.lines, (std::vector<int64_t>{2})) << c.text;
  }
  EXPECT_TRUE(readText("x.csv", "1,2\n").header.empty());
}

TEST(CsvSeparator, RaggedRowNamesLineColumnAndSeparator) {
  // The blank-separated row 2 has a field too many, at column 8.
  std::string msg = errorOfText("x.txt", "1 2 3\n4  5 6 7\n");
  EXPECT_NE(msg.find("x.txt:2:8: this row has 4 fields but line 1 has 3 "
                     "(separated by blanks)"),
            std::string::npos)
      << msg;
  // A short ';' row points at its last field.
  msg = errorOfText("x.csv", "# comment\n1;2;3\n4;5\n");
  EXPECT_NE(msg.find("x.csv:3:3: this row has 2 fields but line 2 has 3 "
                     "(separated by ';')"),
            std::string::npos)
      << msg;
}

TEST(CsvSeparator, MixingSeparatorsIsAnError) {
  struct Case {
    const char *text;
    const char *message;
  } cases[] = {
      {"1,2\n3;4\n", "x.csv:2:2: ';' in a file whose first data row (line 1) "
                     "separates fields by ','"},
      {"1;2\n3,4\n", "x.csv:2:2: ',' in a file whose first data row (line 1) "
                     "separates fields by ';'; every row must use the same "
                     "separator (a decimal comma is not read"},
      {"1 2\n3,4\n", "x.csv:2:2: ',' in a file whose first data row (line 1) "
                     "separates fields by blanks (it has no ',' or ';'); "
                     "every row must use the same separator (a decimal comma"},
      {"1 2\n3 4;5\n", "x.csv:2:4: ';' in a file"},
      // A row split by blanks where the first data row used commas.
      {"x,y\n1,2\n3 4\n", "x.csv:3:2: a blank inside a field in a file whose "
                          "first data row (line 2) separates fields by ','"},
      {"1;2\n3;4 5\n", "x.csv:2:4: a blank inside a field"},
  };
  for (const Case &c : cases) {
    std::string msg = errorOfText("x.csv", c.text);
    EXPECT_NE(msg.find(c.message), std::string::npos)
        << "expected: " << c.message << "\ngot: " << msg;
  }
}

TEST(CsvSeparator, ExtensionsOfTextTables) {
  for (const char *name : {"x.txt", "x.tsv", "x.dat", "x.TXT", "x.txt.gz"}) {
    TempDir dir;
    std::string path = dir.file(name);
    if (std::string(name).find(".gz") != std::string::npos)
      writeGzip(path, {'1', ' ', '2', '\n'});
    else
      writeText(path, "1 2\n");
    RawArray a = readArray(path);
    EXPECT_EQ(a.format, DataFormat::Csv) << name;
    EXPECT_EQ(a.shape, (Shape{1, 2})) << name;
  }
}

//===----------------------------------------------------------------------===//
// Picking columns
//===----------------------------------------------------------------------===//

namespace {

/// A file with a header: a, b, c, label; two records.
RawArray table() {
  return readText("t.csv", "a,b,c,label\n1,2,3,0\n4,5,6,1\n");
}

std::vector<int64_t> pick(const std::string &spec) {
  return csvColumns(table(), "--columns", spec);
}

std::string pickError(const std::string &spec) {
  return errorOf([&] { pick(spec); });
}

} // namespace

TEST(CsvColumns, NumbersRangesAndNames) {
  using V = std::vector<int64_t>;
  EXPECT_EQ(pick("0"), V{0});
  EXPECT_EQ(pick("-1"), V{3});
  EXPECT_EQ(pick("0:3"), (V{0, 1, 2}));
  EXPECT_EQ(pick(":2"), (V{0, 1}));
  EXPECT_EQ(pick("2:"), (V{2, 3}));
  EXPECT_EQ(pick(":-1"), (V{0, 1, 2}));
  EXPECT_EQ(pick("-2:4"), (V{2, 3}));
  EXPECT_EQ(pick("0,2,3"), (V{0, 2, 3}));
  EXPECT_EQ(pick("label"), V{3});
  EXPECT_EQ(pick("c,a"), (V{2, 0}));
  EXPECT_EQ(pick("b,2:"), (V{1, 2, 3}));
}

TEST(CsvColumns, BadSpecsAreUsageErrors) {
  EXPECT_THROW(pick("4"), UsageError);
  std::string msg = pickError("4");
  EXPECT_EQ(msg.rfind("--columns 4: column 4 is out of range; ", 0), 0u) << msg;
  EXPECT_NE(msg.find("t.csv has 4 columns (0 to 3, or -4 to -1 from the end)"),
            std::string::npos)
      << msg;
  EXPECT_NE(pickError("-5").find("column -5 is out of range"),
            std::string::npos);
  EXPECT_NE(pickError("0:5").find("column 5 is out of range"),
            std::string::npos);
  EXPECT_NE(pickError("2:1").find("the range '2:1' picks no column"),
            std::string::npos);
  EXPECT_NE(pickError("0,0").find("column 0 is picked twice"),
            std::string::npos);
  EXPECT_NE(pickError("0,").find("an empty column"), std::string::npos);
  EXPECT_NE(pickError("a:x").find("'a:x' is not a range"), std::string::npos);
  msg = pickError("lable");
  EXPECT_NE(msg.find("no column is named 'lable' (did you mean 'label'?); "
                     "the header of "),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("has a, b, c, label"), std::string::npos) << msg;
  msg = errorOf(
      [] { csvColumns(readText("n.csv", "1,2\n"), "--label-column", "y"); });
  EXPECT_NE(msg.find("--label-column y: 'y' is not a column number, and "),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("has no header row"), std::string::npos) << msg;
}

TEST(CsvColumns, TakeColumnsKeepsLinesAndNames) {
  RawArray a = takeColumns(table(), {3, 0});
  EXPECT_EQ(a.shape, (Shape{2, 2}));
  EXPECT_EQ(valuesOf(a), (std::vector<double>{0, 1, 1, 4}));
  EXPECT_EQ(a.lines, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.header, (std::vector<std::string>{"label", "a"}));
  EXPECT_EQ(a.recordName(1), "record 1 (line 3)");
}
