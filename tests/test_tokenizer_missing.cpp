// default_gpt2_tokenizer() without its files: the message must tell a person what to run and
// where the files were looked for. A process of its own, because the loaded tokenizer is
// cached for the life of a process.
#include "bpe_tokenizer.h"
#include "types.h"

#include <doctest.h>

#include <cstdlib>
#include <filesystem>

TEST_CASE("missing GPT-2 files: the error says to run make run and names the folder") {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / "es_test_tok_missing_nothing_here";
  std::filesystem::remove_all(dir);
  setenv("EMBEDSCOPE_TOKENIZER_DIR", dir.c_str(), 1);
  REQUIRE(es::default_gpt2_tokenizer_dir() == dir);
  std::string message;
  try {
    es::default_gpt2_tokenizer();
  } catch (const es::Error& e) {
    message = e.what();
  }
  CHECK(message.find("make run") != std::string::npos);
  CHECK(message.find("scripts/fetch_tokenizer.sh") != std::string::npos);
  CHECK(message.find(dir.string()) != std::string::npos);
  // A failure is not remembered: an empty folder still fails, with the same advice.
  std::filesystem::create_directories(dir);
  CHECK_THROWS_AS(es::default_gpt2_tokenizer(), es::Error);
  std::filesystem::remove_all(dir);
  // The folder rule: $EMBEDSCOPE_TOKENIZER_DIR, else $XDG_CACHE_HOME, else ~/.cache.
  unsetenv("EMBEDSCOPE_TOKENIZER_DIR");
  setenv("XDG_CACHE_HOME", "/some/cache", 1);
  CHECK(es::default_gpt2_tokenizer_dir() == std::filesystem::path("/some/cache/embedscope/gpt2-tokenizer"));
  unsetenv("XDG_CACHE_HOME");
  setenv("HOME", "/home/someone", 1);
  CHECK(es::default_gpt2_tokenizer_dir() ==
        std::filesystem::path("/home/someone/.cache/embedscope/gpt2-tokenizer"));
}
