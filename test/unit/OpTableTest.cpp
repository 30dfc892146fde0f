//===- OpTableTest.cpp - dsl/README.md's op table matches the schemas -----===//
#include "lamina/OpInfo.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace lamina {
namespace {

constexpr const char *kBegin = "<!-- op table: generated from the op schemas "
                               "(test/unit/OpTableTest.cpp) -->\n";
constexpr const char *kEnd = "<!-- end of op table -->";

TEST(OpTable, LanguageReferenceMatchesTheSchemas) {
  std::ifstream in(std::string(LAMINA_SOURCE_DIR) + "/dsl/README.md");
  ASSERT_TRUE(in) << "cannot read dsl/README.md";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  size_t b = doc.find(kBegin), e = doc.find(kEnd);
  ASSERT_NE(b, std::string::npos) << "dsl/README.md lost its marker line";
  ASSERT_NE(e, std::string::npos) << "dsl/README.md lost its end marker";
  b += std::string(kBegin).size();
  ASSERT_LE(b, e);
  std::string table = opReferenceTable();
  EXPECT_TRUE(doc.substr(b, e - b) == table)
      << "dsl/README.md's op table differs from the op schemas; replace the "
         "lines between its markers by these:\n"
      << table;
}

TEST(OpTable, NamesEveryCallableOpAndNoInternalOne) {
  std::string table = opReferenceTable();
  for (const char *op : {"`relu`", "`leaky_relu`", "`one_hot`", "`conv2d`",
                         "`maxpool2d`", "`dense`", "`sum`"})
    EXPECT_NE(table.find(op), std::string::npos) << op;
  for (const char *op : {"`conv_grad_input`", "`maxpool_grad`", "`pad_grad`",
                         "`input`", "`constant`"})
    EXPECT_EQ(table.find(op), std::string::npos) << op;
  EXPECT_NE(table.find("`alpha` (0.01)"), std::string::npos);
  EXPECT_NE(table.find("`classes` (required)"), std::string::npos);
}

} // namespace
} // namespace lamina
