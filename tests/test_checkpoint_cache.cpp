// The Hugging Face cache: a fake hub cache in a temp folder, found through HF_HUB_CACHE or
// HF_HOME, with the snapshots layout (symlinks into blobs), refs/main, and older names.
#include "checkpoint.h"
#include "hf_cache.h"
#include "test_checkpoint_helpers.h"
#include "user_dirs.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace es;
using namespace es::testing;
namespace fs = std::filesystem;

namespace {

// Sets (or unsets, for nullptr) an environment variable for one scope.
struct EnvVar {
  std::string name;
  std::optional<std::string> old;
  EnvVar(const char* n, const char* value) : name(n) {
    if (const char* o = std::getenv(n)) old = o;
    if (value) ::setenv(n, value, 1);
    else ::unsetenv(n);
  }
  ~EnvVar() {
    if (old) ::setenv(name.c_str(), old->c_str(), 1);
    else ::unsetenv(name.c_str());
  }
};

// A snapshot the way huggingface_hub stores it: files in blobs/, symlinks in snapshots/<rev>/.
fs::path add_snapshot(const fs::path& cache, const std::string& repo_dir, const std::string& rev,
                      const std::string& config, long long vocab = 8) {
  const fs::path repo = cache / repo_dir;
  const fs::path snap = repo / "snapshots" / rev;
  fs::create_directories(snap);
  fs::create_directories(repo / "blobs");
  const fs::path weights_blob = repo / "blobs" / ("w-" + rev);
  write_safetensors(weights_blob, {table("wte.weight", vocab, 4), table("wpe.weight", 6, 4)});
  fs::create_symlink(fs::path("..") / ".." / "blobs" / ("w-" + rev), snap / "model.safetensors");
  write_text(repo / "blobs" / ("c-" + rev), config);
  fs::create_symlink(fs::path("..") / ".." / "blobs" / ("c-" + rev), snap / "config.json");
  return snap;
}

const char* kGpt2Config = R"({"model_type": "gpt2", "n_embd": 4, "n_positions": 6, "n_head": 2})";

}  // namespace

TEST_CASE("hf_hub_cache_dir: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub") {
  EnvVar hub("HF_HUB_CACHE", "/tmp/x-hub");
  EnvVar home("HF_HOME", "/tmp/x-home");
  EnvVar user("HOME", "/tmp/x-user");
  CHECK(hf_hub_cache_dir() == fs::path("/tmp/x-hub"));
  ::unsetenv("HF_HUB_CACHE");
  CHECK(hf_hub_cache_dir() == fs::path("/tmp/x-home/hub"));
  ::unsetenv("HF_HOME");
  CHECK(hf_hub_cache_dir() == fs::path("/tmp/x-user/.cache/huggingface/hub"));
}

TEST_CASE("without HOME the home folder comes from the password database (as under env -i or cron)") {
  // The expected folder is read from /etc/passwd by hand: the line whose third field is our uid.
  std::string expected;
  std::ifstream passwd("/etc/passwd");
  for (std::string line; std::getline(passwd, line);) {
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, ':');) fields.push_back(f);
    if (fields.size() >= 6 && fields[2] == std::to_string(::getuid())) {
      expected = fields[5];
      break;
    }
  }
  EnvVar home("HOME", nullptr);
  EnvVar hub("HF_HUB_CACHE", nullptr);
  EnvVar hf_home("HF_HOME", nullptr);
  if (expected.empty()) {
    MESSAGE("uid " << ::getuid() << " has no /etc/passwd line here; only checking a path comes back");
    CHECK_FALSE(home_dir().empty());
  } else {
    CHECK(home_dir() == fs::path(expected));
    CHECK(hf_hub_cache_dir() == fs::path(expected) / ".cache" / "huggingface" / "hub");
  }
  ::setenv("HOME", "/tmp/x-user", 1);
  CHECK(home_dir() == fs::path("/tmp/x-user"));
  ::setenv("HOME", "", 1);  // empty counts as unset
  CHECK(home_dir() != fs::path(""));
}

TEST_CASE("a fake cache: listing, lookup by full and short name, refs/main picks the revision") {
  TempDir cache;
  EnvVar hub("HF_HUB_CACHE", cache.path.c_str());
  const fs::path newer = add_snapshot(cache.path, "models--openai-community--gpt2", "abc123", kGpt2Config);
  add_snapshot(cache.path, "models--openai-community--gpt2", "old000", kGpt2Config);
  write_text(cache / "models--openai-community--gpt2/refs/main", "abc123\n");
  add_snapshot(cache.path, "models--EleutherAI--pythia-70m", "p1",
               R"({"model_type": "gpt_neox", "hidden_size": 4, "num_attention_heads": 2})");
  fs::create_directories(cache / "datasets--some--data/snapshots/x");  // not a model: ignored

  const std::vector<CachedModel> list = list_cached_models();
  REQUIRE(list.size() == 2);
  CHECK(list[0].name == "EleutherAI/pythia-70m");
  CHECK(list[0].family == "gpt_neox");
  CHECK(list[0].scheme == "rope");
  CHECK(list[1].name == "openai-community/gpt2");
  CHECK(list[1].snapshot == newer);
  CHECK(list[1].family == "gpt2");
  CHECK(list[1].scheme == "learned");
  CHECK(list[1].size_bytes == fs::file_size(cache / "models--openai-community--gpt2/blobs/w-abc123"));
  CHECK(list[1].size_bytes > 0);

  CHECK(find_cached_model("openai-community/gpt2") == newer);
  CHECK(find_cached_model("gpt2") == newer);  // the only org with a "gpt2"
  CHECK(find_cached_model("pythia-70m") == cache / "models--EleutherAI--pythia-70m/snapshots/p1");
  CHECK_FALSE(find_cached_model("bert-base-uncased"));
  CHECK_FALSE(find_cached_model("../models--openai-community--gpt2"));
  CHECK_FALSE(find_cached_model("a/b/c"));
  CHECK_FALSE(find_cached_model(""));

  const std::unique_ptr<ModelSource> m = open_checkpoint(*find_cached_model("gpt2"));
  CHECK(m->name() == "openai-community/gpt2");
  CHECK(m->family() == "gpt2");
  CHECK(m->size_bytes() == list[1].size_bytes);
  CHECK(open_checkpoint(newer.string() + "/")->name() == "openai-community/gpt2");
  CHECK(open_checkpoint(newer / "model.safetensors")->name() == "openai-community/gpt2");

  SUBCASE("without refs/main the most recently written snapshot wins") {
    fs::remove(cache / "models--openai-community--gpt2/refs/main");
    const fs::path old = cache / "models--openai-community--gpt2/snapshots/old000";
    fs::last_write_time(old, fs::last_write_time(newer) + std::chrono::hours(1));
    CHECK(find_cached_model("openai-community/gpt2") == old);
  }
  SUBCASE("refs/main naming a snapshot that is not there falls back to the newest") {
    write_text(cache / "models--openai-community--gpt2/refs/main", "feedbeef");
    CHECK(find_cached_model("openai-community/gpt2").has_value());
  }
  SUBCASE("a short name two organisations share is an error listing both") {
    add_snapshot(cache.path, "models--someone--gpt2", "s1", kGpt2Config);
    const std::string msg = error_of([] { find_cached_model("gpt2"); });
    CHECK(contains(msg, "openai-community/gpt2"));
    CHECK(contains(msg, "someone/gpt2"));
  }
}

TEST_CASE("the older layout models--gpt2 under HF_HOME/hub") {
  TempDir home;
  EnvVar hub("HF_HUB_CACHE", nullptr);
  EnvVar hf_home("HF_HOME", home.path.c_str());
  const fs::path snap = add_snapshot(home / "hub", "models--gpt2", "r1", kGpt2Config);
  CHECK(find_cached_model("gpt2") == snap);
  CHECK(find_cached_model("openai-community/gpt2") == snap);  // the repo's newer name
  const std::vector<CachedModel> list = list_cached_models();
  REQUIRE(list.size() == 1);
  CHECK(list[0].name == "gpt2");
  CHECK(open_checkpoint(snap)->name() == "gpt2");
}

TEST_CASE("a missing cache folder lists nothing") {
  EnvVar hub("HF_HUB_CACHE", "/nonexistent/embedscope-test-cache");
  CHECK(list_cached_models().empty());
  CHECK_FALSE(find_cached_model("gpt2"));
}

TEST_CASE("hf_cache.h: the layout the Python and JavaScript clients share, both directions") {
  CHECK(hf_repo_folder_name("openai-community/gpt2") == "models--openai-community--gpt2");
  CHECK(hf_repo_folder_name("gpt2") == "models--gpt2");
  CHECK(hf_repo_of_folder("models--openai-community--gpt2") == std::optional<std::string>("openai-community/gpt2"));
  CHECK(hf_repo_of_folder("models--gpt2") == std::optional<std::string>("gpt2"));
  CHECK_FALSE(hf_repo_of_folder("datasets--squad").has_value());
  CHECK_FALSE(hf_repo_of_folder("models--").has_value());
  for (const char* repo : {"EleutherAI/pythia-70m", "bert-base-uncased", "Qwen/Qwen2.5-0.5B"})
    CHECK(hf_repo_of_folder(hf_repo_folder_name(repo)) == std::optional<std::string>(repo));

  const HfRepoPaths p = hf_repo_paths("/c", "org/name");
  CHECK(p.repo == fs::path("/c/models--org--name"));
  CHECK(p.blob("abc") == fs::path("/c/models--org--name/blobs/abc"));
  CHECK(p.incomplete("abc") == fs::path("/c/models--org--name/blobs/abc.incomplete"));
  CHECK(p.snapshot("f00d") == fs::path("/c/models--org--name/snapshots/f00d"));
  CHECK(p.ref("main") == fs::path("/c/models--org--name/refs/main"));
  CHECK(p.ref("refs/pr/1") == fs::path("/c/models--org--name/refs/refs/pr/1"));
  // The snapshot's link, resolved from its own folder, lands on the blob.
  CHECK(hf_snapshot_link_target("config.json", "e1") == fs::path("../../blobs/e1"));
  CHECK(hf_snapshot_link_target("onnx/model.onnx", "e2") == fs::path("../../../blobs/e2"));
  for (const std::string file : {"config.json", "onnx/model.onnx", "a/b/c.bin"}) {
    const fs::path link = p.snapshot("f00d") / file;
    CHECK((link.parent_path() / hf_snapshot_link_target(file, "e3")).lexically_normal() == p.blob("e3"));
  }
}
