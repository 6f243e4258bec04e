// GPT-2's tokenizer and the reference fixtures (tests/data/tokenizer/gpt2_fixtures.json, ids
// from gpt-3-encoder@1.1.4 and @dqbd/tiktoken), shared by the tokenizer test files.
#pragma once

#include "bpe_tokenizer.h"
#include "types.h"

#include <doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace es::testing {

inline std::shared_ptr<const Tokenizer> gpt2() {
  try {
    return default_gpt2_tokenizer();
  } catch (const Error& e) {
    FAIL("GPT-2's tokenizer files are needed here and could not be loaded from "
         << default_gpt2_tokenizer_dir().string() << ": " << e.what()
         << " (run scripts/fetch_tokenizer.sh or `make test`, which fetches them)");
  }
  return nullptr;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const std::filesystem::path& p, std::string_view s) {
  std::ofstream out(p, std::ios::binary);
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
  REQUIRE(out.good());
}

inline std::string base64_decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = val(c);
    if (v < 0) continue;  // '=' padding
    acc = (acc << 6) | unsigned(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xFF);
    }
  }
  return out;
}

struct Fixture {
  std::string name;
  std::string text;
  std::vector<int> ids;
};

inline const std::vector<Fixture>& fixtures() {
  static const std::vector<Fixture> all = [] {
    const auto j = nlohmann::json::parse(
        read_text(std::filesystem::path(ES_TEST_DATA_DIR) / "tokenizer" / "gpt2_fixtures.json"));
    std::vector<Fixture> v;
    for (const auto& c : j.at("cases")) {
      v.push_back({c.at("name").get<std::string>(),
                   base64_decode(c.at("text_b64").get<std::string>()),
                   c.at("ids").get<std::vector<int>>()});
    }
    return v;
  }();
  return all;
}

inline std::string ids_str(const std::vector<int>& ids) {
  std::string s;
  for (int id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s;
}

}  // namespace es::testing
