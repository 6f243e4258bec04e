// Token ids typed by hand (core/token_id_list.h) and nlohmann parse errors made readable
// (core/json_excerpt.h).
#include "json_excerpt.h"
#include "test_errors.h"
#include "token_id_list.h"
#include "types.h"

#include <doctest.h>

#include <string>

using namespace es;
using namespace es::testing;

TEST_CASE("id lists: commas and/or white space between whole numbers") {
  CHECK(parse_token_id_list("464,262,3797", "--ids") == std::vector<int>{464, 262, 3797});
  CHECK(parse_token_id_list(" 464  262\t3797\n", "--ids") == std::vector<int>{464, 262, 3797});
  CHECK(parse_token_id_list("1, 2 ,3,,4", "--ids") == std::vector<int>{1, 2, 3, 4});
  CHECK(parse_token_id_list("0", "--ids") == std::vector<int>{0});
  CHECK(parse_token_id_list("2147483647", "--ids") == std::vector<int>{2147483647});
}

TEST_CASE("id lists: bad items are named, nothing is guessed") {
  CHECK(error_of([] { parse_token_id_list("", "--ids"); }) == "--ids has no token ids");
  CHECK(error_of([] { parse_token_id_list(" , ", "--ids"); }) == "--ids has no token ids");
  for (const char* bad : {"-1", "1.5", "two", "0x10", "2147483648", "99999999999999999999", "+3"}) {
    CAPTURE(bad);
    const std::string e = error_of([&] { parse_token_id_list(std::string("1 ") + bad, "--ids"); });
    CHECK(e.find("--ids takes token ids") == 0);
    CHECK(e.find(std::string("'") + bad + "'") != std::string::npos);
  }
  // A megabyte-long item is quoted short.
  const std::string huge(1'000'000, '7');
  CHECK(error_of([&] { parse_token_id_list(huge, "--ids"); }).size() < 200);
}

TEST_CASE("the desktop's ids line") {
  CHECK(is_ids_line("ids: 1 2 3"));
  CHECK(is_ids_line("  IDS:1,2"));
  CHECK(is_ids_line("ids:"));
  CHECK_FALSE(is_ids_line("the cat sat"));
  CHECK_FALSE(is_ids_line("ids 1 2"));
  CHECK_FALSE(is_ids_line("id: 1"));
  CHECK_FALSE(parse_ids_line("the ids: 1 2").has_value());  // only at the start
  CHECK(*parse_ids_line("ids: 464 262 464") == std::vector<int>{464, 262, 464});
  CHECK(error_of([] { parse_ids_line("ids:"); }) == "the ids line has no token ids");
  CHECK(error_of([] { parse_ids_line("ids: 1 two"); }).find("'two'") != std::string::npos);
}

TEST_CASE("nlohmann parse errors: no tag, the quoted text cut, bounded length") {
  std::string text = "{\"" + std::string(1'000'000, 'a') + "\x01";
  try {
    [[maybe_unused]] const nlohmann::json j = nlohmann::json::parse(text);
    FAIL("parse should fail");
  } catch (const nlohmann::json::exception& e) {
    const std::string raw = e.what();
    CHECK(raw.size() > 1'000'000);  // what the library gives
    const std::string m = json_parse_error(e);
    CHECK(m.size() <= 240);
    CHECK(m.find("[json.exception") == std::string::npos);
    CHECK(m.find("parse error at line 1") == 0);
    CHECK(m.find("last read: '\"aaaa") != std::string::npos);
    CHECK(m.substr(m.size() - 4) == "...'");
  }
  try {
    [[maybe_unused]] const nlohmann::json j = nlohmann::json::parse("[1, 2");
    FAIL("parse should fail");
  } catch (const nlohmann::json::exception& e) {
    // Short messages pass through whole, without the tag.
    const std::string raw = e.what();
    const std::string m = json_parse_error(e);
    CHECK(raw.find("] ") != std::string::npos);
    CHECK(m == raw.substr(raw.find("] ") + 2));
  }
}
