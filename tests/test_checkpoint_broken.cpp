// Broken checkpoints: each gets an es::Error whose message names the file and the reason.
#include "checkpoint.h"
#include "test_checkpoint_helpers.h"

using namespace es;
using namespace es::testing;

namespace {

const char* kGpt2Config = R"({"model_type": "gpt2", "n_embd": 4, "n_positions": 6, "n_head": 2, "vocab_size": 8})";

// Opens `dir` and returns the error message ("" if it opened).
std::string open_error(const std::filesystem::path& path) {
  return error_of([&] { open_checkpoint(path); });
}

}  // namespace

TEST_CASE("broken checkpoints: a clear error for each, never a crash") {
  struct Case {
    const char* what;
    std::vector<SafetensorsWriteTensor> tensors;
    const char* config;  // nullptr: no config.json
    const char* reason;
    bool names_file = true;  // the message names the weights file
  };
  const std::vector<Case> cases = {
      {"token table of rank 3",
       {make_write_tensor("wte.weight", SafetensorsDtype::F32, {2, 2, 2}, ramp(2, 4)), table("wpe.weight", 6, 4)},
       kGpt2Config, "rank 3"},
      {"token table of rank 1", {vec("wte.weight", {1, 2, 3, 4}), table("wpe.weight", 6, 4)}, kGpt2Config, "rank 1"},
      {"token and position tables of different widths", {table("wte.weight", 8, 4), table("wpe.weight", 6, 5)},
       kGpt2Config, "widths must match"},
      {"token table with an integer dtype",
       {SafetensorsWriteTensor{"wte.weight", SafetensorsDtype::I32, {2, 4}, std::vector<uint8_t>(32, 0)},
        table("wpe.weight", 6, 4)},
       kGpt2Config, "dtype I32"},
      {"token table with no rows", {table("wte.weight", 0, 4), table("wpe.weight", 6, 4)}, kGpt2Config, "is empty"},
      {"GPT-2 without its position table", {table("wte.weight", 8, 4)}, kGpt2Config, "no learned position table",
       false},
      {"LayerNorm weight of the wrong length",
       {table("wte.weight", 8, 4), table("wpe.weight", 6, 4), vec("h.0.ln_1.weight", {1, 2, 3})}, kGpt2Config,
       "expected a float vector of the model width"},
      {"config.json width disagrees with the table", {table("wte.weight", 8, 4), table("wpe.weight", 6, 4)},
       R"({"model_type": "gpt2", "n_embd": 768})", "hidden size 768", false},
      {"config.json that is not JSON", {table("wte.weight", 8, 4), table("wpe.weight", 6, 4)}, "{\"model_type\": ",
       "not valid JSON", false},
      {"config.json with a non-object", {table("wte.weight", 8, 4)}, "42", "not an object", false},
      {"unknown model type and no known tensor names", {table("foo.weight", 8, 4)},
       R"({"model_type": "mamba"})", "model_type 'mamba'", false},
      {"no config and no known tensor names", {table("foo.weight", 8, 4)}, nullptr, "no config.json", false},
      {"known family but its token table missing", {table("foo.weight", 8, 4)}, R"({"model_type": "llama"})",
       "model.embed_tokens.weight", false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    TempDir dir;
    write_safetensors(dir / "model.safetensors", c.tensors);
    if (c.config) write_text(dir / "config.json", c.config);
    const std::string msg = open_error(dir.path);
    CAPTURE(msg);
    REQUIRE_FALSE(msg.empty());
    CHECK(contains(msg, c.reason));
    if (c.names_file) CHECK(contains(msg, (dir / "model.safetensors").string()));
    else CHECK(contains(msg, dir.path.string()));
  }
}

TEST_CASE("broken files and folders: empty, truncated, missing, no weights, ambiguous") {
  TempDir dir;
  SUBCASE("an empty model.safetensors") {
    write_text(dir / "model.safetensors", "");
    const std::string msg = open_error(dir.path);
    CHECK(contains(msg, "empty"));
    CHECK(contains(msg, (dir / "model.safetensors").string()));
  }
  SUBCASE("a truncated model.safetensors, cut inside the data and inside the header") {
    write_safetensors(dir / "full.safetensors", {table("wte.weight", 8, 4), table("wpe.weight", 6, 4)});
    const auto size = std::filesystem::file_size(dir / "full.safetensors");
    std::filesystem::copy_file(dir / "full.safetensors", dir / "cut.safetensors");
    std::filesystem::resize_file(dir / "cut.safetensors", size - 10);
    CHECK(contains(open_error(dir / "cut.safetensors"), "outside the data section"));
    std::filesystem::resize_file(dir / "cut.safetensors", 20);
    CHECK(contains(open_error(dir / "cut.safetensors"), "past the end of the file"));
  }
  SUBCASE("a path that does not exist") {
    CHECK(contains(open_error(dir / "nothing-here"), "no such file or folder"));
  }
  SUBCASE("a folder with no weights") {
    write_text(dir / "config.json", kGpt2Config);
    const std::string msg = open_error(dir.path);
    CHECK(contains(msg, "no weights found"));
    CHECK(contains(msg, dir.path.string()));
  }
  SUBCASE("a folder with PyTorch weights only") {
    write_text(dir / "pytorch_model.bin", "not read");
    CHECK(contains(open_error(dir.path), "PyTorch"));
  }
  SUBCASE("several .safetensors files and no index") {
    write_safetensors(dir / "a.safetensors", {table("wte.weight", 8, 4)});
    write_safetensors(dir / "b.safetensors", {table("wpe.weight", 6, 4)});
    CHECK(contains(open_error(dir.path), "no model.safetensors.index.json"));
  }
  SUBCASE("one tensor in two shards") {
    write_safetensors(dir / "a.safetensors", {table("wte.weight", 8, 4)});
    write_safetensors(dir / "b.safetensors", {table("wte.weight", 8, 4), table("wpe.weight", 6, 4)});
    write_text(dir / "model.safetensors.index.json",
               R"({"weight_map": {"wte.weight": "a.safetensors", "wpe.weight": "b.safetensors"}})");
    CHECK(contains(open_error(dir.path), "appears in two shards"));
  }
  SUBCASE("an index that is not JSON, or has no weight map") {
    write_text(dir / "model.safetensors.index.json", "{{");
    CHECK(contains(open_error(dir.path), "not valid JSON"));
    write_text(dir / "model.safetensors.index.json", R"({"metadata": {}})");
    CHECK(contains(open_error(dir.path), "weight_map"));
  }
  SUBCASE("a header that lies about the data: every flip of a valid file opens or is refused") {
    write_safetensors(dir / "model.safetensors", {table("wte.weight", 8, 4), table("wpe.weight", 6, 4)});
    write_text(dir / "config.json", kGpt2Config);
    const auto size = std::filesystem::file_size(dir / "model.safetensors");
    std::vector<char> good(size);
    std::ifstream(dir / "model.safetensors", std::ios::binary).read(good.data(), static_cast<std::streamsize>(size));
    int refused = 0;
    for (std::size_t at = 0; at < 200 && at < size; ++at) {
      std::vector<char> bad = good;
      bad[at] = static_cast<char>(bad[at] ^ 0x5a);
      std::ofstream(dir / "model.safetensors", std::ios::binary | std::ios::trunc)
          .write(bad.data(), static_cast<std::streamsize>(size));
      try {
        const std::unique_ptr<ModelSource> m = open_checkpoint(dir.path);
        MatrixRM rows;
        const std::vector<int> ids = {0, static_cast<int>(m->vocab_size() - 1)};
        m->gather_token_rows(ids, rows);  // whatever opened must serve its rows in bounds
        CHECK(rows.rows() == 2);
      } catch (const Error&) {
        ++refused;
      }
    }
    CHECK(refused > 0);
  }
}
