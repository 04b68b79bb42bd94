#include "store/line_protocol.hpp"

#include <gtest/gtest.h>

namespace spacetime::store {
namespace {

TEST(LineProtocol, MeasurementsEscapeCommasAndSpacesOnly) {
  std::string out;
  append_measurement(out, "my m,e=as");
  EXPECT_EQ(out, "my\\ m\\,e=as");
}

TEST(LineProtocol, TagsAndFieldKeysEscapeCommasEqualsAndSpaces) {
  std::string out;
  append_tag(out, "BRK B,=x");
  EXPECT_EQ(out, "BRK\\ B\\,\\=x");
}

TEST(LineProtocol, StringFieldsQuoteAndEscapeQuotesAndBackslashes) {
  std::string out;
  append_string_field(out, R"(say "hi" \ bye, a=b)");
  EXPECT_EQ(out, R"("say \"hi\" \\ bye, a=b")");
}

TEST(LineProtocol, InfluxqlLiteralsAndIdentifiersAreQuoted) {
  EXPECT_EQ(influxql_string("O'Neil\\"), R"('O\'Neil\\')");
  EXPECT_EQ(influxql_identifier("my \"db\""), R"("my \"db\"")");
}

}  // namespace
}  // namespace spacetime::store
