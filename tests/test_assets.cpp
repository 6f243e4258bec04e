// assets/: embedded at build time, well-formed, and what the code expects of them. The desktop
// program aborts on a broken asset (a build mistake), so these checks run headless first.
#include <doctest.h>

#include "assets.h"
#include "position/scheme.h"
#include "repeats.h"
#include "word_tokenizer.h"

#include <nlohmann/json.hpp>

#include <set>

using namespace es;

TEST_CASE("classroom words: 100 distinct words in id order, <unk> first") {
  const std::vector<std::string> words = classroom_vocabulary(100);
  CHECK(words.front() == "<unk>");
  CHECK(words[1] == "the");
  CHECK(std::set<std::string>(words.begin(), words.end()).size() == words.size());
  CHECK_THROWS_AS(classroom_vocabulary(101), Error);
  CHECK(embedded_asset("no-such-asset").empty());
  CHECK(embedded_asset("README.md").empty());  // documentation, not data
}

TEST_CASE("sentences, presets and colour maps parse and hold sensible values") {
  CHECK(default_sentence() == "the cat sat on the mat");
  const nlohmann::json s = nlohmann::json::parse(embedded_asset("sentences.json"));
  CHECK(s.at("repeat_candidates").size() >= 3);
  const nlohmann::json p = nlohmann::json::parse(embedded_asset("scheme_presets.json"));
  std::set<std::string> names;
  for (const auto& x : p.at("presets")) {
    CAPTURE(x.dump());
    CHECK(names.insert(x.at("name").get<std::string>()).second);
    CHECK(x.at("n").get<int>() >= 2);
    CHECK(x.at("d").get<int>() >= 2);
    CHECK(x.at("base").get<double>() > 1);
    CHECK(x.at("rotary_fraction").get<double>() > 0);
    CHECK(x.at("rotary_fraction").get<double>() <= 1);
    CHECK_NOTHROW(alibi_slopes(x.at("heads").get<int>()));
    CHECK(x.at("causal").is_boolean());
  }
  CHECK(names.count("LLaMA 3") == 1);
  const nlohmann::json c = nlohmann::json::parse(embedded_asset("colormaps.json"));
  CHECK(c.at("diverging").at("stops").size() == 11);
  CHECK(c.at("diverging").at("stops")[5] == "f7f7f7");  // white in the middle: zero is neutral
  CHECK(c.at("categorical").at("stops").size() == 8);
  for (const char* m : {"diverging", "sequential", "categorical"})
    for (const auto& stop : c.at(m).at("stops")) CHECK(stop.get<std::string>().size() == 6);
}
