#include <gtest/gtest.h>

#include "model/json.h"

namespace cxr::json {
namespace {

TEST(Json, ParsesNestedValuesAndKeepsOrder) {
  Value v;
  ASSERT_TRUE(parse(R"( {"b": [1, -2.5e3, true, null], "a": {"s": "x\"y\u00e9\ud83d\ude00"}} )", &v).ok());
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.object[0].first, "b");
  EXPECT_EQ(v.find("b")->array[1].number, -2500);
  EXPECT_TRUE(v.find("b")->array[2].boolean);
  EXPECT_EQ(v.find("a")->find("s")->string, "x\"y\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(v.find("missing"), nullptr);
}

TEST(Json, RoundTripsThroughSerialize) {
  Value v;
  const std::string text = R"({"name":"m\n1","n":[0.1,3,-7],"ok":false,"z":null})";
  ASSERT_TRUE(parse(text, &v).ok());
  EXPECT_EQ(serialize(v), text);
}

TEST(Json, RefusesMalformedText) {
  for (const char* bad : {"", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "\"unterminated", "01x", "nan", "[1] 2",
                          "{\"a\":1,}", "\"\\q\"", "1e999", "\"\\ud800\\u0041\"", "\"a\nb\""}) {
    Value v;
    Status s = parse(bad, &v);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.message.find("not valid JSON"), std::string::npos);
  }
}

TEST(Json, RefusesDeepNestingWithoutCrashing) {
  Value v;
  EXPECT_FALSE(parse(std::string(100000, '['), &v).ok());
  EXPECT_TRUE(parse(std::string(60, '[') + std::string(60, ']'), &v).ok());
}

TEST(Json, QuoteEscapesControlCharacters) { EXPECT_EQ(quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\""); }

}  // namespace
}  // namespace cxr::json
