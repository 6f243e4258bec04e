// Downloads from the hub (core/model/hub_download.h) against a local server that behaves like
// it (tests/hub_test_server.h, on 127.0.0.1, started here): the cache layout other tools read,
// exactly the files EmbedScope needs, resume after a cut connection, and every failure with its
// message and nothing half-written where a reader would look.
#include "checkpoint.h"
#include "hf_cache.h"
#include "open_model.h"
#include "hub_download.h"
#include "hub_test_server.h"
#include "model_source.h"
#include "safetensors.h"
#include "test_checkpoint_helpers.h"

#include <doctest.h>

#include <cstdlib>
#include <fstream>
#include <sys/wait.h>

using namespace es;
using namespace es::testing;
namespace fs = std::filesystem;

namespace {

const char* kCommit = "0123456789abcdef0123456789abcdef01234567";

std::string file_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string safetensors_text(const std::vector<SafetensorsWriteTensor>& t) {
  const std::vector<uint8_t> b = safetensors_bytes(t);
  return std::string(b.begin(), b.end());
}

// A tiny GPT-2 as the hub would hold it, with files EmbedScope does not need beside it.
HubTestServer::Repo gpt2_repo() {
  HubTestServer::Repo r;
  r.commit = kCommit;
  r.files = {{"config.json", R"({"model_type": "gpt2", "n_embd": 4, "n_positions": 6, "n_head": 2})", false},
             {"README.md", "# a model card\n", false},
             {"pytorch_model.bin", std::string(5000, 'x'), true},
             {"model.safetensors",
              safetensors_text({table("wte.weight", 300, 4), table("wpe.weight", 6, 4, 0.5f)}), true},
             {"onnx/model.onnx", "onnx", true}};
  return r;
}

struct Env {
  // Environment variables set for one test and put back after it.
  std::vector<std::pair<std::string, std::optional<std::string>>> saved;
  void set(const std::string& k, const std::string& v) {
    const char* old = std::getenv(k.c_str());
    saved.emplace_back(k, old ? std::optional<std::string>(old) : std::nullopt);
    ::setenv(k.c_str(), v.c_str(), 1);
  }
  ~Env() {
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) {
      if (it->second) ::setenv(it->first.c_str(), it->second->c_str(), 1);
      else ::unsetenv(it->first.c_str());
    }
  }
};

HubDownloadOptions options(const HubTestServer& s, const TempDir& cache, const std::string& repo) {
  HubDownloadOptions o;
  o.repo = repo;
  o.endpoint = s.endpoint();
  o.cache = cache.path;
  o.token = "none-given";  // never read the machine's own token file
  o.stall_seconds = 5;
  return o;
}

std::string download_error(const HubDownloadOptions& o) {
  try {
    hub_download(o);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

int count_requests(HubTestServer& s, const std::string& part) {
  int n = 0;
  for (const std::string& r : s.requests()) n += r.find(part) != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("a download lands in the hub cache layout, fetches only what EmbedScope needs, and opens") {
  HubTestServer s;
  s.repos["tiny/gpt2"] = gpt2_repo();
  TempDir cache;
  HubDownloadOptions o = options(s, cache, "tiny/gpt2");
  std::vector<HubProgress> seen;
  o.progress = [&](const HubProgress& p) { seen.push_back(p); };
  const HubDownloadResult r = hub_download(o);
  CHECK(r.commit == kCommit);
  CHECK(r.files == std::vector<std::string>{"config.json", "model.safetensors"});
  const fs::path repo = cache.path / "models--tiny--gpt2";
  CHECK(r.snapshot == repo / "snapshots" / kCommit);
  // refs/main names the commit; snapshot entries are relative links into blobs/<etag>.
  CHECK(file_text(repo / "refs" / "main") == kCommit);
  const HubTestServer::File& weights = s.repos["tiny/gpt2"].files[3];
  const std::string sha = sha256_hex(weights.content);
  CHECK(fs::is_symlink(r.snapshot / "model.safetensors"));
  CHECK(fs::read_symlink(r.snapshot / "model.safetensors") == fs::path("../../blobs") / sha);
  CHECK(file_text(repo / "blobs" / sha) == weights.content);
  CHECK(fs::read_symlink(r.snapshot / "config.json") ==
        fs::path("../../blobs") / HubTestServer::etag_of(s.repos["tiny/gpt2"].files[0]));
  CHECK(!fs::exists(r.snapshot / "README.md"));
  CHECK(!fs::exists(r.snapshot / "pytorch_model.bin"));
  CHECK(count_requests(s, "pytorch_model.bin") == 0);
  CHECK(r.downloaded == weights.content.size() + s.repos["tiny/gpt2"].files[0].content.size());
  // Progress: the total is known before the bytes come, and ends full.
  REQUIRE(!seen.empty());
  CHECK(seen.back().stage == "done");
  CHECK(seen.back().done == seen.back().total);
  CHECK(seen.back().total == r.downloaded);
  // It opens from the snapshot, and by name from the cache.
  CHECK(open_checkpoint(r.snapshot)->vocab_size() == 300);
  {
    Env env;
    env.set("HF_HUB_CACHE", cache.path.string());
    const std::optional<fs::path> found = find_cached_model("tiny/gpt2");
    REQUIRE(found);
    CHECK(*found == r.snapshot);
    CHECK(open_model("tiny/gpt2")->dim() == 4);
  }
  // A second download finds everything in place and fetches nothing.
  s.clear_log();
  const HubDownloadResult again = hub_download(options(s, cache, "tiny/gpt2"));
  CHECK(again.downloaded == 0);
  CHECK(count_requests(s, "GET /cdn/") == 0);
}

TEST_CASE("a sharded model fetches its index and exactly the shards it names") {
  HubTestServer s;
  HubTestServer::Repo r;
  r.commit = kCommit;
  const std::string index = R"({"metadata": {}, "weight_map": {"model.embed_tokens.weight": "model-00001-of-00002.safetensors",
                                 "model.norm.weight": "model-00002-of-00002.safetensors"}})";
  r.files = {{"config.json", R"({"model_type": "llama", "hidden_size": 4, "num_attention_heads": 1})", false},
             {"tokenizer.json", file_text(fs::path(ES_TEST_DATA_DIR) / "hf_tokenizers" / "llama" / "tokenizer.json"), false},
             {"model.safetensors.index.json", index, false},
             {"model-00001-of-00002.safetensors", safetensors_text({table("model.embed_tokens.weight", 900, 4)}), true},
             {"model-00002-of-00002.safetensors", safetensors_text({vec("model.norm.weight", {1, 1, 1, 1})}), true},
             {"model-00003-of-00002.safetensors", "stray", true}};
  s.repos["tiny/llama"] = r;
  TempDir cache;
  const HubDownloadResult got = hub_download(options(s, cache, "tiny/llama"));
  CHECK(got.files.size() == 5);
  CHECK(count_requests(s, "model-00003") == 0);
  // A LLaMA-style folder opens on text: its tokenizer.json is BPE with byte fallback.
  const std::unique_ptr<ModelSource> m = open_checkpoint(got.snapshot);
  REQUIRE(m->tokenizer());
  CHECK(m->tokenizer()->name() == "BPE with byte fallback (tokenizer.json)");
  CHECK(m->tokenizer()->encode("The cat", true).front() == 1);  // <s>
}

TEST_CASE("a connection cut short leaves only blobs/*.incomplete, and the next run resumes with Range") {
  HubTestServer s;
  s.repos["tiny/gpt2"] = gpt2_repo();
  TempDir cache;
  s.fault = HubTestServer::Fault::Truncate;
  s.faults_left = 1;
  const std::string e = download_error(options(s, cache, "tiny/gpt2"));
  CHECK(contains(e, "closed before all of model.safetensors"));
  CHECK(contains(e, "resume"));
  const std::string sha = sha256_hex(s.repos["tiny/gpt2"].files[3].content);
  const fs::path repo = cache.path / "models--tiny--gpt2";
  const fs::path part = repo / "blobs" / (sha + ".incomplete");
  REQUIRE(fs::exists(part));
  const std::uintmax_t have = fs::file_size(part);
  CHECK(have > 0);
  CHECK(have < s.repos["tiny/gpt2"].files[3].content.size());
  CHECK(!fs::exists(repo / "blobs" / sha));
  CHECK(!fs::exists(repo / "snapshots" / kCommit / "model.safetensors"));  // nothing a reader finds
  s.clear_log();
  const HubDownloadResult r = hub_download(options(s, cache, "tiny/gpt2"));
  CHECK(count_requests(s, "GET /cdn/" + sha + " range=bytes=" + std::to_string(have) + "-") == 1);
  CHECK(r.downloaded == s.repos["tiny/gpt2"].files[3].content.size() - have);
  CHECK(file_text(repo / "blobs" / sha) == s.repos["tiny/gpt2"].files[3].content);
  CHECK(!fs::exists(part));
  // A server that ignores Range: the download starts over and is still right.
  fs::remove(repo / "blobs" / sha);
  {
    std::ofstream p(part, std::ios::binary);
    p << s.repos["tiny/gpt2"].files[3].content.substr(0, 100);
  }
  s.fault = HubTestServer::Fault::IgnoreRange;
  s.faults_left = 1;
  hub_download(options(s, cache, "tiny/gpt2"));
  CHECK(file_text(repo / "blobs" / sha) == s.repos["tiny/gpt2"].files[3].content);
}

TEST_CASE("a corrupted file fails its sha256, is removed, and is never linked") {
  HubTestServer s;
  s.repos["tiny/gpt2"] = gpt2_repo();
  TempDir cache;
  s.fault = HubTestServer::Fault::Corrupt;
  s.faults_left = 1;
  const std::string e = download_error(options(s, cache, "tiny/gpt2"));
  CHECK(contains(e, "model.safetensors is corrupt"));
  CHECK(contains(e, "sha256"));
  const fs::path repo = cache.path / "models--tiny--gpt2";
  const std::string sha = sha256_hex(s.repos["tiny/gpt2"].files[3].content);
  CHECK(!fs::exists(repo / "blobs" / sha));
  CHECK(!fs::exists(repo / "blobs" / (sha + ".incomplete")));
  CHECK(!fs::exists(repo / "snapshots" / kCommit / "model.safetensors"));
}

TEST_CASE("gated, missing and unreachable: messages that say what to do") {
  HubTestServer s;
  s.repos["tiny/gpt2"] = gpt2_repo();
  HubTestServer::Repo gated = gpt2_repo();
  gated.gated = true;
  s.repos["meta/gated"] = gated;
  HubTestServer::Repo torch_only;
  torch_only.commit = kCommit;
  torch_only.files = {{"config.json", "{}", false}, {"pytorch_model.bin", "x", true}};
  s.repos["old/torch"] = torch_only;
  TempDir cache;
  HubDownloadOptions o = options(s, cache, "meta/gated");
  o.token = "";
  {
    Env env;  // no token anywhere
    env.set("HF_TOKEN", "");
    env.set("HF_TOKEN_PATH", (cache.path / "no-token-here").string());
    env.set("HF_HOME", (cache.path / "no-home").string());
    env.set("HOME", (cache.path / "no-home").string());
    const std::string e = download_error(o);
    CHECK(contains(e, "meta/gated is gated or private (HTTP 401"));
    CHECK(contains(e, "set HF_TOKEN"));
    env.set("HF_TOKEN", "wrong-token");
    CHECK(contains(download_error(o), "has no access"));
    CHECK(contains(download_error(o), "HTTP 403"));
    env.set("HF_TOKEN", "good-token");
    CHECK(hub_download(o).files.size() == 2);
  }
  CHECK(contains(download_error(options(s, cache, "nobody/nothing")), "no model nobody/nothing"));
  HubDownloadOptions rev = options(s, cache, "tiny/gpt2");
  rev.revision = "v9";
  CHECK(contains(download_error(rev), "no revision v9"));
  CHECK(contains(download_error(options(s, cache, "old/torch")), "only PyTorch"));
  CHECK(contains(download_error(options(s, cache, "../etc")), "not a model name"));
  HubDownloadOptions down = options(s, cache, "tiny/gpt2");
  down.endpoint = "http://127.0.0.1:1";  // nothing listens on port 1
  CHECK(contains(download_error(down), "cannot reach the server"));
}

TEST_CASE("a file the list names but the server does not have: 404 named, the rest kept") {
  HubTestServer s;
  HubTestServer::Repo r = gpt2_repo();
  r.listed_only = {"tokenizer.json"};
  s.repos["tiny/gpt2"] = r;
  TempDir cache;
  const std::string e = download_error(options(s, cache, "tiny/gpt2"));
  CHECK(contains(e, "tokenizer.json is listed but missing from tiny/gpt2 (HTTP 404)"));
}

TEST_CASE("proxies come from the environment (http_proxy), as libcurl reads them") {
  HubTestServer s;  // here also the proxy: it serves the path of the absolute URL it is sent
  s.repos["tiny/gpt2"] = gpt2_repo();
  TempDir cache;
  Env env;
  env.set("http_proxy", s.endpoint());
  env.set("no_proxy", "");
  env.set("NO_PROXY", "");
  HubDownloadOptions o = options(s, cache, "tiny/gpt2");
  o.endpoint = "http://hub.invalid";  // no such host: only the proxy can answer
  const HubDownloadResult got = hub_download(o);
  CHECK(got.files.size() == 2);
  CHECK(count_requests(s, "proxied GET /api/models/tiny/gpt2/revision/main") == 1);
}

TEST_CASE("a full disk is an error naming the problem, with nothing linked") {
  HubTestServer s;
  s.repos["tiny/gpt2"] = gpt2_repo();
  TempDir cache;
  const std::string sha = sha256_hex(s.repos["tiny/gpt2"].files[3].content);
  const fs::path blobs = cache.path / "models--tiny--gpt2" / "blobs";
  fs::create_directories(blobs);
  // /dev/full takes every write with ENOSPC, as a full disk does.
  fs::create_symlink("/dev/full", blobs / (sha + ".incomplete"));
  const std::string e = download_error(options(s, cache, "tiny/gpt2"));
  CHECK(contains(e, "disk is full"));
  CHECK(!fs::exists(cache.path / "models--tiny--gpt2" / "snapshots" / kCommit / "model.safetensors"));
}

TEST_CASE("cancelling stops the transfer and keeps what arrived for the next run") {
  HubTestServer s;
  HubTestServer::Repo r = gpt2_repo();
  r.files[3].content = safetensors_text({table("wte.weight", 200000, 4)});  // 3.2 MB
  s.repos["tiny/big"] = r;
  TempDir cache;
  std::atomic<bool> cancel{false};
  HubDownloadOptions o = options(s, cache, "tiny/big");
  o.cancel = &cancel;
  o.progress = [&](const HubProgress& p) {
    if (p.stage == "downloading" && p.file == "model.safetensors") cancel = true;
  };
  CHECK(contains(download_error(o), "cancelled"));
  cancel = false;
  o.progress = nullptr;
  CHECK(hub_download(o).files.size() == 2);
}

TEST_CASE("the CLI downloads with HF_ENDPOINT and HF_HUB_CACHE, and the model opens by name") {
  HubTestServer s;
  s.repos["tiny/gpt2"] = gpt2_repo();
  TempDir cache;
  Env env;
  env.set("HF_ENDPOINT", s.endpoint());
  env.set("HF_HUB_CACHE", cache.path.string());
  env.set("HF_TOKEN", "x");
  const std::string cli = "'" + (fs::path(ES_TEST_BINARY_DIR) / ".." / "app" / "embedscope-cli").string() + "'";
  const auto run = [](const std::string& cmd) {
    std::string out;
    FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int st = ::pclose(p);
    return std::make_pair(WIFEXITED(st) ? WEXITSTATUS(st) : -1, out);
  };
  const auto [st, out] = run(cli + " download tiny/gpt2");
  CHECK(st == 0);
  CHECK(contains(out, std::string("commit\t") + kCommit));
  CHECK(contains(out, "files\tconfig.json model.safetensors"));
  const auto [st2, info] = run(cli + " info tiny/gpt2");
  CHECK(st2 == 0);
  CHECK(contains(info, "vocab\t300"));
  const auto [st3, missing] = run(cli + " download nobody/nothing");
  CHECK(st3 == 1);
  CHECK(contains(missing, "no model nobody/nothing"));
}

TEST_CASE("the files EmbedScope needs, and the catalogue") {
  CHECK(hub_files_needed({"config.json", "model.safetensors", "tokenizer.model", "tf_model.h5", "vocab.txt"}, "x/y") ==
        std::vector<std::string>{"config.json", "tokenizer.model", "vocab.txt", "model.safetensors"});
  CHECK(hub_files_needed({"model-a.safetensors"}, "x/y") == std::vector<std::string>{"model-a.safetensors"});
  CHECK_THROWS_WITH_AS(hub_files_needed({"a.safetensors", "b.safetensors"}, "x/y"), doctest::Contains("no model.safetensors.index.json"), Error);
  CHECK(normalize_etag("W/\"abc\"") == "abc");
  CHECK(model_catalogue().size() >= 9);
  for (const CatalogueModel& m : model_catalogue()) CHECK(std::string(m.repo).find('/') != std::string::npos);
}
