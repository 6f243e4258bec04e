// Checkpoints with their tokenizer beside them, and the CLI commands info / models end to end
// on a fake Hugging Face cache.
#include "bpe_tokenizer.h"
#include "checkpoint.h"
#include "test_checkpoint_helpers.h"

#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>

using namespace es;
using namespace es::testing;
namespace fs = std::filesystem;

namespace {

// GPT-2's byte -> unicode code point table (printable bytes stand for themselves, the rest
// are shifted to 256 + n), as UTF-8.
std::string byte_token(int b) {
  int cp = b;
  if (!((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255))) {
    int n = 0;
    for (int x = 0; x < b; ++x)
      if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255))) ++n;
    cp = 256 + n;
  }
  std::string s;
  if (cp < 0x80) {
    s.push_back(static_cast<char>(cp));
  } else {
    s.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
  return s;
}

// A byte-level BPE with the 256 byte tokens (id = byte) and one merge "a b" -> "ab" (id 256).
void write_tiny_bpe(const fs::path& dir) {
  std::string vocab = "{";
  for (int b = 0; b < 256; ++b) {
    std::string key = byte_token(b);
    if (key == "\"" || key == "\\") key = "\\" + key;
    vocab += "\"" + key + "\": " + std::to_string(b) + ", ";
  }
  vocab += "\"ab\": 256}";
  write_text(dir / "vocab.json", vocab);
  write_text(dir / "merges.txt", "#version: 0.2\na b\n");
}

const char* kGpt2Config = R"({"model_type": "gpt2", "n_embd": 4, "n_positions": 6, "n_head": 2})";

struct Run {
  int status = -1;
  std::string output;
};

// Runs a shell command, stdout and stderr together.
Run run(const std::string& command) {
  Run r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace

TEST_CASE("the tokenizer beside the weights is loaded on first use and must fit the table") {
  TempDir dir;
  write_tiny_bpe(dir.path);
  write_text(dir / "config.json", kGpt2Config);
  write_safetensors(dir / "model.safetensors", {table("wte.weight", 260, 4), table("wpe.weight", 6, 4)});
  {
    const std::unique_ptr<ModelSource> m = open_checkpoint(dir.path);
    const std::shared_ptr<const Tokenizer> tok = m->tokenizer();
    REQUIRE(tok);
    CHECK(tok->vocab_size() == 257);
    CHECK(tok->encode("ab") == std::vector<int>{256});
    CHECK(tok->encode("ba") == std::vector<int>{'b', 'a'});
    CHECK(m->tokenizer() == tok);  // loaded once
  }
  // A table with fewer rows than the tokenizer has ids: the pair is refused when asked for.
  write_safetensors(dir / "model.safetensors", {table("wte.weight", 100, 4), table("wpe.weight", 6, 4)});
  const std::unique_ptr<ModelSource> m = open_checkpoint(dir.path);
  CHECK(contains(error_of([&] { m->tokenizer(); }), "do not belong together"));
}

TEST_CASE("a GPT-2 checkpoint without tokenizer files falls back to GPT-2's tokenizer when installed") {
  TempDir dir;
  write_text(dir / "config.json", kGpt2Config);
  write_safetensors(dir / "model.safetensors", {table("wte.weight", 50257, 4), table("wpe.weight", 6, 4)});
  const std::unique_ptr<ModelSource> m = open_checkpoint(dir.path);
  if (has_bpe_tokenizer_files(default_gpt2_tokenizer_dir())) {
    REQUIRE(m->tokenizer());
    CHECK(m->tokenizer()->vocab_size() == 50257);
    CHECK(m->tokenizer()->encode(" the") == std::vector<int>{262});
  } else {
    CHECK(m->tokenizer() == nullptr);  // the model still opens
  }
  // Another family never borrows GPT-2's tokenizer.
  TempDir other;
  write_text(other / "config.json", R"({"model_type": "llama", "hidden_size": 4, "num_attention_heads": 1})");
  write_safetensors(other / "model.safetensors", {table("model.embed_tokens.weight", 50257, 4)});
  CHECK(open_checkpoint(other.path)->tokenizer() == nullptr);
}

TEST_CASE("a model without a readable tokenizer says what lies beside its weights") {
  TempDir dir;
  write_text(dir / "config.json", R"({"model_type": "bert", "hidden_size": 4, "num_attention_heads": 1,
                                      "max_position_embeddings": 6, "type_vocab_size": 2})");
  write_safetensors(dir / "model.safetensors", {table("embeddings.word_embeddings.weight", 30, 4),
                                                table("embeddings.position_embeddings.weight", 6, 4)});
  {
    const std::unique_ptr<ModelSource> m = open_checkpoint(dir.path);
    CHECK(m->tokenizer() == nullptr);
    CHECK(contains(m->tokenizer_note(), "no tokenizer files"));
  }
  // BERT's vocab.txt alone is its tokenizer (uncased by default).
  write_text(dir / "vocab.txt", "[PAD]\n[UNK]\nthe\n[CLS]\n[SEP]\n");
  {
    const std::unique_ptr<ModelSource> m = open_checkpoint(dir.path);
    REQUIRE(m->tokenizer() != nullptr);
    CHECK(m->tokenizer()->name() == "WordPiece (vocab.txt, uncased)");
    CHECK(m->tokenizer()->encode("The cat", false) == std::vector<int>{2, 1});
    CHECK(m->tokenizer()->encode("the", true) == std::vector<int>{3, 2, 4});
  }
  fs::remove(dir / "vocab.txt");
  // A tokenizer.json of a kind EmbedScope does not implement: named, not used, and the model
  // still opens.
  write_text(dir / "tokenizer.json",
             R"({"pre_tokenizer": {"type": "UnicodeScripts"}, "model": {"type": "WordLevel", "vocab": {"[PAD]": 0, "the": 1}}})");
  {
    const std::unique_ptr<ModelSource> m = open_checkpoint(dir.path);
    CHECK(m->tokenizer() == nullptr);
    CHECK(m->tokenizer_note().starts_with("tokenizer.json uses a UnicodeScripts pre-tokenizer, which EmbedScope does not implement ("));
    CHECK(contains(m->tokenizer_note(), "pre-tokenizer UnicodeScripts, model WordLevel"));
    // The CLI's info says so and points at --ids; embed works from typed ids.
    const std::string cli = "'" + (fs::path(ES_TEST_BINARY_DIR) / ".." / "app" / "embedscope-cli").string() + "'";
    const Run info = run(cli + " info " + dir.path.string());
    CHECK(info.status == 0);
    CHECK(contains(info.output, "UnicodeScripts pre-tokenizer"));
    CHECK(contains(info.output, "--ids"));
    const Run no_ids = run(cli + " embed --model " + dir.path.string() + " --text 'the cat'");
    CHECK(no_ids.status != 0);
    CHECK(contains(no_ids.output, "--ids"));
    const Run typed = run(cli + " embed --model " + dir.path.string() + " --ids '2 5,2' --view token");
    REQUIRE(typed.status == 0);
    // Rows 2, 5, 2 of the table: v[r][c] = r + c / 10 (table() in test_checkpoint_helpers.h).
    CHECK(typed.output.rfind("2,2.0999999", 0) == 0);
  }
}

TEST_CASE("embedscope-cli models and info on a fake cache") {
  const fs::path cli = fs::path(ES_TEST_BINARY_DIR) / ".." / "app" / "embedscope-cli";
  REQUIRE_MESSAGE(fs::exists(cli), "build embedscope-cli first: " << cli.string());
  TempDir cache;
  const fs::path snap = cache / "models--test-org--tiny-gpt2/snapshots/r1";
  fs::create_directories(snap);
  write_safetensors(snap / "model.safetensors",
                    {table("transformer.wte.weight", 8, 4), table("transformer.wpe.weight", 6, 4),
                     vec("transformer.h.0.ln_1.weight", {1, 1, 1, 1}), vec("transformer.h.0.ln_1.bias", {0, 0, 0, 0})});
  write_text(snap / "config.json", kGpt2Config);
  const fs::path snap2 = cache / "models--test-org--tiny-llama/snapshots/r1";
  fs::create_directories(snap2);
  write_safetensors(snap2 / "model.safetensors", {table("model.embed_tokens.weight", 8, 8)});
  write_text(snap2 / "config.json",
             R"({"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "rope_theta": 500000})");
  const std::string env = "HF_HUB_CACHE='" + cache.path.string() + "' ";

  const Run models = run(env + "'" + cli.string() + "' models");
  CAPTURE(models.output);
  CHECK(models.status == 0);
  CHECK(contains(models.output, "test-org/tiny-gpt2\t"));
  CHECK(contains(models.output, "\tgpt2\tlearned\t"));
  CHECK(contains(models.output, "test-org/tiny-llama\t"));
  CHECK(contains(models.output, "\tllama\trope\t"));

  const Run info = run(env + "'" + cli.string() + "' info --model tiny-gpt2");
  CAPTURE(info.output);
  CHECK(info.status == 0);
  CHECK(contains(info.output, "model\ttest-org/tiny-gpt2\n"));
  CHECK(contains(info.output, "token table\ttransformer.wte.weight\tF32\t(8, 4)"));
  CHECK(contains(info.output, "scheme\tlearned\n"));
  // FACTS.md section 1: V=8, L_max=6, d=4 gives 32 + 24 + 8 = 64 input-stage weights.
  CHECK(contains(info.output, "total\t64\n"));
  CHECK(contains(info.output, "tied embeddings\tyes"));

  const Run rope = run(env + "'" + cli.string() + "' info --model test-org/tiny-llama");
  CAPTURE(rope.output);
  CHECK(rope.status == 0);
  CHECK(contains(rope.output, "scheme\trope\n"));
  CHECK(contains(rope.output, "500000"));
  CHECK(contains(rope.output, "no positions added at the input"));
  CHECK(contains(rope.output, "position table\t0\n"));

  write_text(snap2 / "model.safetensors", "short");
  const Run broken = run(env + "'" + cli.string() + "' info --model test-org/tiny-llama");
  CAPTURE(broken.output);
  CHECK(broken.status != 0);
  CHECK(contains(broken.output, "truncated"));
}
