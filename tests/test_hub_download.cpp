// Downloads from the hub (core/model/hub_download.h) against a local server that behaves like
// it (tests/hub_test_server.h, on 127.0.0.1, started here): the cache layout other tools read,
// exactly the files EmbedScope needs, resume after a cut connection, and every failure with its
// message and nothing half-written where a reader would look.
#include "checkpoint.h"
#include "hf_cache.h"
#include "open_model.h"
#include "hf_env.h"
#include "hub_download.h"
#include "hub_http.h"
#include "hub_test_server.h"
#include "model_source.h"
#include "safetensors.h"
#include "test_checkpoint_helpers.h"

#include <doctest.h>

#include <cstdlib>
#include <fstream>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

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
  o.anonymous = true;  // never read the machine's own token file
  o.stall_seconds = 5;
  o.metadata_seconds = 5;
  o.retry_wait_seconds = 0.01;  // the backoff's shape is checked on its own; tests need not wait
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
  HubDownloadOptions no_retry = options(s, cache, "tiny/gpt2");
  no_retry.retries = 0;  // the run ends at the cut; the next run resumes
  const std::string e = download_error(no_retry);
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
  // A server that ignores Range answers 200 with the whole file: the partial file is emptied
  // and that same answer streams into it (one request, not a second download).
  fs::remove(repo / "blobs" / sha);
  {
    std::ofstream p(part, std::ios::binary);
    p << std::string(100, '?');  // not even the right bytes: all of it must go
  }
  s.fault = HubTestServer::Fault::IgnoreRange;
  s.faults_left = 1;
  s.clear_log();
  const HubDownloadResult whole = hub_download(options(s, cache, "tiny/gpt2"));
  CHECK(count_requests(s, "GET /cdn/") == 1);
  CHECK(count_requests(s, "GET /cdn/" + sha + " range=bytes=100-") == 1);
  CHECK(whole.downloaded == s.repos["tiny/gpt2"].files[3].content.size());
  CHECK(whole.retried.empty());
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

TEST_CASE("missing, private, gated, bad token: the hub's X-Error-Code read, its words shown, what to do said") {
  HubTestServer s;
  s.repos["tiny/gpt2"] = gpt2_repo();
  HubTestServer::Repo gated = gpt2_repo();
  gated.gated = true;
  s.repos["meta/gated"] = gated;
  HubTestServer::Repo secret = gpt2_repo();
  secret.private_repo = true;
  s.repos["me/secret"] = secret;
  HubTestServer::Repo torch_only;
  torch_only.commit = kCommit;
  torch_only.files = {{"config.json", "{}", false}, {"pytorch_model.bin", "x", true}};
  s.repos["old/torch"] = torch_only;
  TempDir cache;
  const auto as = [&](const std::string& repo, const std::string& token) {
    HubDownloadOptions o = options(s, cache, repo);
    o.anonymous = token.empty();
    o.token = token;
    return download_error(o);
  };
  // A name that does not exist, asked anonymously: 401 RepoNotFound, as the hub answers; it
  // must not be called gated.
  std::string e = as("nobody/nothing", "");
  CHECK(contains(e, "nobody/nothing: not found, or private or gated (HTTP 401, RepoNotFound)"));
  CHECK(contains(e, "check the name"));
  CHECK(contains(e, "set HF_TOKEN"));
  CHECK(contains(e, "Repository not found"));  // the server's own words
  CHECK(!contains(e, "accept its conditions, create"));
  // The same with a valid token: 404, and the token is not blamed as invalid.
  e = as("nobody/nothing", "other-token");
  CHECK(contains(e, "not found, or private or gated (HTTP 404, RepoNotFound)"));
  CHECK(contains(e, "the token given"));
  CHECK(!contains(e, "invalid"));
  // Private: anonymous callers cannot tell it from a missing one; the owner's token opens it.
  CHECK(contains(as("me/secret", ""), "not found, or private or gated (HTTP 401, RepoNotFound)"));
  CHECK(as("me/secret", "good-token") == "(no error)");
  // Gated: anonymous -> how to get a token; a valid token without access -> ask for access.
  e = as("meta/gated", "");
  CHECK(contains(e, "meta/gated is gated (HTTP 401, GatedRepo)"));
  CHECK(contains(e, "accept its conditions"));
  CHECK(contains(e, "set HF_TOKEN"));
  CHECK(contains(e, "You must have access to it and be authenticated"));
  e = as("meta/gated", "other-token");
  CHECK(contains(e, "meta/gated is gated and the account of your token (from the token given) has no access to it yet (HTTP 403, GatedRepo)"));
  CHECK(contains(e, "you are not in the authorized list"));
  CHECK(as("meta/gated", "good-token") == "(no error)");
  // A token the hub does not know: invalid, on a public model too (401 without a code).
  e = as("tiny/gpt2", "typo-token");
  CHECK(contains(e, "is invalid (HTTP 401)"));
  CHECK(contains(e, "Invalid credentials in Authorization header"));
  CHECK(contains(e, "--no-token"));
  {
    // Where the token came from is named: HF_TOKEN, its older name, or the token file.
    Env env;
    env.set("HF_TOKEN", "");
    env.set("HUGGING_FACE_HUB_TOKEN", "typo-token");
    HubDownloadOptions o = options(s, cache, "tiny/gpt2");
    o.anonymous = false;
    CHECK(contains(download_error(o), "your token (from HUGGING_FACE_HUB_TOKEN) is invalid"));
    env.set("HF_TOKEN", "good-token");  // HF_TOKEN wins over the older name
    o.repo = "meta/gated";
    CHECK(hub_download(o).files.size() == 2);
  }
  HubDownloadOptions rev = options(s, cache, "tiny/gpt2");
  rev.revision = "v9";
  e = download_error(rev);
  CHECK(contains(e, "tiny/gpt2 has no revision 'v9'"));
  CHECK(contains(e, "RevisionNotFound"));
  CHECK(contains(download_error(options(s, cache, "old/torch")), "only PyTorch"));
  CHECK(contains(download_error(options(s, cache, "../etc")), "not a model name"));
  HubDownloadOptions bad_rev = options(s, cache, "tiny/gpt2");
  bad_rev.revision = "../../x";
  CHECK(contains(download_error(bad_rev), "not a revision"));
  CHECK(hub_download(options(s, cache, "tiny/gpt2")).files.size() == 2);
  HubDownloadOptions down = options(s, cache, "tiny/gpt2");
  down.endpoint = "http://127.0.0.1:1";  // nothing listens on port 1
  e = download_error(down);
  CHECK(contains(e, "cannot reach the server"));
  CHECK(contains(e, "tiny/gpt2 is complete in the cache already"));  // fetched above
}

TEST_CASE("a file the list names but the server does not have: 404 named, the rest kept") {
  HubTestServer s;
  HubTestServer::Repo r = gpt2_repo();
  r.listed_only = {"tokenizer.json"};
  s.repos["tiny/gpt2"] = r;
  TempDir cache;
  const std::string e = download_error(options(s, cache, "tiny/gpt2"));
  CHECK(contains(e, "tokenizer.json is listed but missing from tiny/gpt2 at revision main (HTTP 404, EntryNotFound)"));
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
  env.set("HF_TOKEN", "good-token");
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
  CHECK(contains(missing, "nobody/nothing: not found, or private or gated"));
  // Another revision: fetched as REPO@REV, offered and opened as REPO@REV; retries said.
  s.repos["tiny/gpt2"].branches = {"main", "v1"};
  s.api_faults_left = 1;
  const auto [st4, at] = run(cli + " download tiny/gpt2@v1");
  CHECK(st4 == 0);
  CHECK(contains(at, "retrying the file list in"));
  CHECK(contains(at, "retried\t1 time"));
  CHECK(contains(at, "open with\tembedscope --model tiny/gpt2@v1 "));
  const auto [st5, info_v1] = run(cli + " info tiny/gpt2@v1");
  CHECK(st5 == 0);
  CHECK(contains(info_v1, "vocab\t300"));
  CHECK(run(cli + " download tiny/gpt2@v1 --revision v2").second.find("two revisions given") != std::string::npos);
  // Offline: nothing fetched, the cached snapshot named.
  env.set("HF_HUB_OFFLINE", "1");
  s.clear_log();
  const auto [st6, off] = run(cli + " download tiny/gpt2");
  CHECK(st6 == 0);
  CHECK(contains(off, "offline\tHF_HUB_OFFLINE is set: nothing was fetched"));
  CHECK(s.requests().empty());
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

TEST_CASE("retries: 503 and 429 on metadata, a reset and a 503 mid-file, Retry-After honoured, and said") {
  HubTestServer s;
  s.repos["tiny/gpt2"] = gpt2_repo();
  const std::string content = s.repos["tiny/gpt2"].files[3].content;
  const std::string sha = sha256_hex(content);
  TempDir cache;
  std::vector<std::string> stages;
  HubDownloadOptions o = options(s, cache, "tiny/gpt2");
  o.progress = [&](const HubProgress& p) { stages.push_back(p.stage); };
  // Two 503s on the file list, then an answer.
  s.api_status = 503;
  s.api_faults_left = 2;
  HubDownloadResult r = hub_download(o);
  CHECK(r.files.size() == 2);
  REQUIRE(r.retried.size() == 2);
  CHECK(contains(r.retried[0], "retrying the file list in"));
  CHECK(contains(r.retried[0], "HTTP 503; retry 1 of 5"));
  CHECK(contains(r.retried[1], "retry 2 of 5"));
  CHECK(std::count(stages.begin(), stages.end(), r.retried[0]) == 1);  // the user is told while it waits
  // The connection reset a third into the weights, twice: resumed from where it stopped, in
  // the same run, with Range requests.
  fs::remove_all(cache.path);
  s.clear_log();
  s.fault = HubTestServer::Fault::Reset;
  s.faults_left = 2;
  r = hub_download(o);
  CHECK(file_text(cache.path / "models--tiny--gpt2" / "blobs" / sha) == content);
  CHECK(r.retried.size() == 2);
  CHECK(count_requests(s, "GET /cdn/" + sha) == 3);
  CHECK(count_requests(s, "GET /cdn/" + sha + " range=bytes=") == 2);
  CHECK(r.downloaded == content.size() + s.repos["tiny/gpt2"].files[0].content.size());
  // 503 from the storage: nothing is written into the partial file, then it comes.
  fs::remove_all(cache.path);
  s.fault = HubTestServer::Fault::Status503;
  s.faults_left = 1;
  r = hub_download(o);
  CHECK(file_text(cache.path / "models--tiny--gpt2" / "blobs" / sha) == content);
  CHECK(r.retried.size() == 1);
  // 429 with Retry-After: 1 waits one second (not the 0.01 s backoff).
  fs::remove_all(cache.path);
  s.api_status = 429;
  s.api_faults_left = 1;
  s.retry_after = "1";
  const auto t0 = std::chrono::steady_clock::now();
  r = hub_download(o);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(waited >= 0.95);
  REQUIRE(r.retried.size() == 1);
  CHECK(contains(r.retried[0], "in 1 s (HTTP 429"));
  s.retry_after.clear();
  // It keeps failing: the retries run out, the message says how often it tried, what arrived stays.
  fs::remove_all(cache.path);
  s.fault = HubTestServer::Fault::Status503;
  s.faults_left = 100;
  std::string e = download_error(o);
  CHECK(contains(e, "the server had a problem with model.safetensors"));
  CHECK(contains(e, "after 5 retries"));
  s.faults_left = 0;
  s.api_status = 429;
  s.api_faults_left = 100;
  e = download_error(o);
  CHECK(contains(e, "as too many (HTTP 429)"));
  CHECK(contains(e, "after 5 retries"));
  CHECK(contains(e, "a token (HF_TOKEN) raises the limit"));
  s.api_faults_left = 0;
  // A 404 is not retried.
  s.clear_log();
  CHECK(contains(download_error(options(s, cache, "nobody/nothing")), "not found"));
  CHECK(s.requests().size() == 1);
}

TEST_CASE("the backoff: 1, 2, 4, 8, 8 times the base, or the server's Retry-After up to a minute") {
  hub_http::Response r;
  CHECK(hub_http::retry_wait(r, 1, 1.0) == doctest::Approx(1));
  CHECK(hub_http::retry_wait(r, 2, 1.0) == doctest::Approx(2));
  CHECK(hub_http::retry_wait(r, 3, 1.0) == doctest::Approx(4));
  CHECK(hub_http::retry_wait(r, 4, 1.0) == doctest::Approx(8));
  CHECK(hub_http::retry_wait(r, 5, 1.0) == doctest::Approx(8));
  r.headers["retry-after"] = "7";
  CHECK(hub_http::retry_wait(r, 1, 1.0) == doctest::Approx(7));
  r.headers["retry-after"] = "3600";
  CHECK(hub_http::retry_wait(r, 1, 1.0) == doctest::Approx(60));
  r.status = 404;
  CHECK(!hub_http::worth_retrying(r, true));
  for (long st : {429L, 500L, 502L, 503L, 504L}) {
    r.status = st;
    CHECK(hub_http::worth_retrying(r, false));
  }
  r.status = 0;
  r.code = CURLE_COULDNT_CONNECT;
  CHECK(!hub_http::worth_retrying(r, false));  // a wrong mirror fails at once
  CHECK(hub_http::worth_retrying(r, true));
  r.code = CURLE_COULDNT_RESOLVE_HOST;
  CHECK(!hub_http::worth_retrying(r, true));
}

TEST_CASE("relative redirects resolve against the URL that answered (RFC 3986), with a mirror's path prefix") {
  using hub_http::resolve_url;
  CHECK(resolve_url("https://m.example/hf/a/b/resolve/c/f.json", "/hf/x/y/resolve/c/f.json") ==
        "https://m.example/hf/x/y/resolve/c/f.json");
  CHECK(resolve_url("https://m.example/hf/a/b/resolve/c/f.json", "g.json") == "https://m.example/hf/a/b/resolve/c/g.json");
  CHECK(resolve_url("https://m.example/hf/a/b/c", "../d") == "https://m.example/hf/a/d");
  CHECK(resolve_url("https://m.example/a", "https://cdn.example/x?y=1") == "https://cdn.example/x?y=1");
  CHECK(resolve_url("https://m.example/a", "//cdn.example/x") == "https://cdn.example/x");
  // A hub mirror under a path prefix, with a renamed repository answering 307 to a relative
  // Location that carries the prefix: the file list and every file follow it.
  HubTestServer s;
  s.prefix = "/mirror";
  s.repos["tiny/gpt2"] = gpt2_repo();
  s.renamed["tiny/old-name"] = "tiny/gpt2";
  TempDir cache;
  HubDownloadOptions o = options(s, cache, "tiny/old-name");
  o.endpoint = s.endpoint() + "/";  // a trailing slash too
  const HubDownloadResult r = hub_download(o);
  CHECK(r.files == std::vector<std::string>{"config.json", "model.safetensors"});
  CHECK(count_requests(s, "HEAD /mirror/tiny/gpt2/resolve/" + std::string(kCommit) + "/config.json") == 1);
  CHECK(count_requests(s, "/mirror/mirror") == 0);
  CHECK(open_checkpoint(r.snapshot)->vocab_size() == 300);
}

TEST_CASE("the token goes to the hub, never to the storage host an LFS file redirects to") {
  HubTestServer s;
  s.storage_host = "localhost";  // another host name for the same server
  HubTestServer::Repo gated = gpt2_repo();
  gated.gated = true;
  s.repos["meta/gated"] = gated;
  TempDir cache;
  HubDownloadOptions o = options(s, cache, "meta/gated");
  o.anonymous = false;
  o.token = "good-token";
  CHECK(hub_download(o).files.size() == 2);
  CHECK(count_requests(s, "GET /api/models/meta/gated/revision/main auth") == 1);
  CHECK(count_requests(s, "GET /cdn/") == 1);
  CHECK(count_requests(s, "GET /cdn/" + sha256_hex(gated.files[3].content)) == 1);
  for (const std::string& line : s.requests())
    if (contains(line, "/cdn/")) CHECK_MESSAGE(!contains(line, " auth"), line);
}

TEST_CASE("no symlinks (exFAT, HF_HUB_DISABLE_SYMLINKS): snapshot files are the files, and a second run finds them") {
  HubTestServer s;
  s.repos["tiny/gpt2"] = gpt2_repo();
  const std::string content = s.repos["tiny/gpt2"].files[3].content, sha = sha256_hex(content);
  TempDir cache;
  const fs::path repo = cache.path / "models--tiny--gpt2", snap = repo / "snapshots" / kCommit;
  {
    // A file system that refuses symlinks, as FAT and exFAT do (EPERM).
    struct NoSymlinks {
      NoSymlinks() {
        hub_testing::make_symlink = [](const char*, const char*) {
          errno = EPERM;
          return -1;
        };
      }
      ~NoSymlinks() { hub_testing::make_symlink = ::symlink; }
    } no_symlinks;
    std::vector<std::string> stages;
    HubDownloadOptions o = options(s, cache, "tiny/gpt2");
    o.progress = [&](const HubProgress& p) { stages.push_back(p.stage); };
    const HubDownloadResult r = hub_download(o);
    CHECK(r.copied);
    CHECK(std::count(stages.begin(), stages.end(), "this file system has no symlinks: snapshot files are copies") == 1);
    CHECK(!fs::is_symlink(snap / "model.safetensors"));
    CHECK(file_text(snap / "model.safetensors") == content);
    CHECK(!fs::exists(repo / "blobs" / sha));  // moved, not kept twice (as the Python client does)
    CHECK(open_checkpoint(snap)->vocab_size() == 300);
    s.clear_log();
    CHECK(hub_download(options(s, cache, "tiny/gpt2")).downloaded == 0);
    CHECK(count_requests(s, "GET /cdn/") == 0);
  }
  // HF_HUB_DISABLE_SYMLINKS over a cache that has the blob already: copied, the blob stays.
  TempDir cache2;
  hub_download(options(s, cache2, "tiny/gpt2"));
  const fs::path snap2 = cache2.path / "models--tiny--gpt2" / "snapshots" / kCommit;
  fs::remove_all(snap2);
  Env env;
  env.set("HF_HUB_DISABLE_SYMLINKS", "yes");
  const HubDownloadResult r2 = hub_download(options(s, cache2, "tiny/gpt2"));
  CHECK(r2.downloaded == 0);
  CHECK(r2.copied);
  CHECK(!fs::is_symlink(snap2 / "model.safetensors"));
  CHECK(file_text(snap2 / "model.safetensors") == content);
  CHECK(fs::exists(cache2.path / "models--tiny--gpt2" / "blobs" / sha));
}

TEST_CASE("the environment, read as the Python client reads it") {
  TempDir home;
  Env env;
  for (const char* k : {"HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "XDG_CACHE_HOME", "HF_TOKEN",
                        "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_ENDPOINT", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
                        "HF_HUB_DISABLE_SYMLINKS", "HF_HUB_ETAG_TIMEOUT", "HF_HUB_DOWNLOAD_TIMEOUT"})
    env.set(k, "");
  env.set("HOME", home.path.string());
  HfEnvironment e = hf_environment();
  CHECK(e.home == home.path / ".cache" / "huggingface");
  CHECK(e.hub_cache == home.path / ".cache" / "huggingface" / "hub");
  CHECK(e.endpoint == "https://huggingface.co");
  CHECK(e.token.empty());
  CHECK(!e.offline);
  CHECK(e.etag_timeout == 10);
  CHECK(e.download_timeout == 10);
  env.set("XDG_CACHE_HOME", "~/xdg");
  CHECK(hf_environment().hub_cache == home.path / "xdg" / "huggingface" / "hub");
  env.set("HF_HOME", "~/hfhome");  // HF_HOME wins over XDG_CACHE_HOME, "~" expanded
  e = hf_environment();
  CHECK(e.hub_cache == home.path / "hfhome" / "hub");
  CHECK(e.token_path == home.path / "hfhome" / "token");
  env.set("HUGGINGFACE_HUB_CACHE", "~/old-name");
  CHECK(hf_environment().hub_cache == home.path / "old-name");
  CHECK(hf_hub_cache_dir() == home.path / "old-name");
  env.set("HF_HUB_CACHE", "/elsewhere/hub");  // the new name wins
  CHECK(hf_environment().hub_cache == fs::path("/elsewhere/hub"));
  // Tokens: the token file under HF_HOME, then the variables, HF_TOKEN first.
  fs::create_directories(home.path / "hfhome");
  std::ofstream(home.path / "hfhome" / "token") << "  file-token \n";
  e = hf_environment();
  CHECK(e.token == "file-token");
  CHECK(e.token_source == (home.path / "hfhome" / "token").string());
  env.set("HUGGING_FACE_HUB_TOKEN", "old-var-token");
  CHECK(hf_environment().token == "old-var-token");
  env.set("HF_TOKEN", "new-var-token");
  CHECK(hf_environment().token == "new-var-token");
  CHECK(hf_environment().token_source == "HF_TOKEN");
  // Booleans as the Python client reads them; timeouts; the endpoint without its last '/'.
  for (const char* yes : {"1", "ON", "yes", "True"}) {
    env.set("HF_HUB_OFFLINE", yes);
    CHECK(hf_environment().offline);
  }
  for (const char* no : {"0", "off", "", "no"}) {
    env.set("HF_HUB_OFFLINE", no);
    CHECK(!hf_environment().offline);
  }
  env.set("TRANSFORMERS_OFFLINE", "1");
  CHECK(hf_environment().offline_variable == "TRANSFORMERS_OFFLINE");
  env.set("HF_HUB_ETAG_TIMEOUT", "2.5");
  env.set("HF_HUB_DOWNLOAD_TIMEOUT", "nonsense");
  CHECK(hf_environment().etag_timeout == 2.5);
  CHECK(hf_environment().download_timeout == 10);
  env.set("HF_ENDPOINT", "https://mirror.example/hf/");
  CHECK(hf_environment().endpoint == "https://mirror.example/hf");
}

TEST_CASE("HF_HUB_OFFLINE: no request at all; a complete cached model is found, anything else is an error saying so") {
  HubTestServer s;
  s.repos["tiny/gpt2"] = gpt2_repo();
  TempDir cache;
  Env env;
  env.set("HF_HUB_OFFLINE", "1");
  std::string e = download_error(options(s, cache, "tiny/gpt2"));
  CHECK(contains(e, "HF_HUB_OFFLINE is set, so nothing is downloaded, and tiny/gpt2 is not in the cache"));
  CHECK(s.requests().empty());
  env.set("HF_HUB_OFFLINE", "0");
  const HubDownloadResult online = hub_download(options(s, cache, "tiny/gpt2"));
  env.set("HF_HUB_OFFLINE", "1");
  s.clear_log();
  const HubDownloadResult r = hub_download(options(s, cache, "tiny/gpt2"));
  CHECK(r.offline);
  CHECK(r.snapshot == online.snapshot);
  CHECK(r.commit == kCommit);
  CHECK(r.downloaded == 0);
  CHECK(r.files == std::vector<std::string>{"config.json", "model.safetensors"});
  CHECK(s.requests().empty());
  // A snapshot whose weights are missing is not complete.
  fs::remove(online.snapshot / "model.safetensors");
  e = download_error(options(s, cache, "tiny/gpt2"));
  CHECK(contains(e, "HF_HUB_OFFLINE is set, so nothing is downloaded: the download of tiny/gpt2 did not finish"));
  HubDownloadOptions rev = options(s, cache, "tiny/gpt2");
  rev.revision = "v2";
  CHECK(contains(download_error(rev), "tiny/gpt2@v2 is not in the cache"));
  CHECK(s.requests().empty());
}

TEST_CASE("HF_HUB_ETAG_TIMEOUT bounds a metadata request") {
  HubTestServer s;
  s.repos["tiny/gpt2"] = gpt2_repo();
  s.delay_ms = 1500;
  TempDir cache;
  Env env;
  env.set("HF_HUB_ETAG_TIMEOUT", "0.3");
  HubDownloadOptions o = options(s, cache, "tiny/gpt2");
  o.metadata_seconds = 0;  // from the environment
  o.retries = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const std::string e = download_error(o);
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 1.4);
  CHECK(contains(e, "stopped answering"));
  CHECK(contains(e, "HF_HUB_ETAG_TIMEOUT"));
  s.delay_ms = 0;
}

TEST_CASE("the Python client's lock file is taken: a download waits while another program holds it") {
  HubTestServer s;
  s.repos["tiny/gpt2"] = gpt2_repo();
  const std::string sha = sha256_hex(s.repos["tiny/gpt2"].files[3].content);
  TempDir cache;
  const fs::path lock = cache.path / ".locks" / "models--tiny--gpt2" / (sha + ".lock");
  fs::create_directories(lock.parent_path());
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX) == 0);  // as filelock does in the Python client
  std::atomic<bool> waiting{false};
  HubDownloadOptions o = options(s, cache, "tiny/gpt2");
  o.progress = [&](const HubProgress& p) {
    if (p.stage == "waiting: another program is downloading model.safetensors into this cache") waiting = true;
  };
  std::string error = "(running)";
  std::thread t([&] { error = download_error(o); });
  for (int i = 0; i < 200 && !waiting; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(waiting);
  CHECK(count_requests(s, "GET /cdn/") == 0);  // nothing fetched while the other holds it
  ::flock(fd, LOCK_UN);
  ::close(fd);
  t.join();
  CHECK(error == "(no error)");
  CHECK(file_text(cache.path / "models--tiny--gpt2" / "blobs" / sha) == s.repos["tiny/gpt2"].files[3].content);
}

TEST_CASE("two downloads of one model at once: one fetches, the other waits and finds it done") {
  HubTestServer s;
  HubTestServer::Repo r = gpt2_repo();
  r.files[3].content = safetensors_text({table("wte.weight", 20000, 4)});  // 320 kB, sent slowly
  s.repos["tiny/gpt2"] = r;
  s.body_chunk_ms = 2;
  TempDir cache;
  std::string e1 = "(running)", e2 = "(running)";
  std::thread a([&] { e1 = download_error(options(s, cache, "tiny/gpt2")); });
  std::thread b([&] { e2 = download_error(options(s, cache, "tiny/gpt2")); });
  a.join();
  b.join();
  CHECK(e1 == "(no error)");
  CHECK(e2 == "(no error)");
  const std::string sha = sha256_hex(r.files[3].content);
  CHECK(count_requests(s, "GET /cdn/" + sha) == 1);
  CHECK(file_text(cache.path / "models--tiny--gpt2" / "blobs" / sha) == r.files[3].content);
}

TEST_CASE("a read-only cache: a complete model is found without writing, a missing one is an error naming the cache") {
  HubTestServer s;
  s.repos["tiny/gpt2"] = gpt2_repo();
  s.repos["tiny/other"] = gpt2_repo();
  TempDir cache;
  hub_download(options(s, cache, "tiny/gpt2"));
  // Run as a user who may read but not write the cache (root writes anywhere, so a child
  // process drops to "nobody" when the tests run as root).
  fs::permissions(cache.path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(cache.path))
    if (!e.is_symlink() && e.is_directory()) fs::permissions(e.path(), fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write, fs::perm_options::remove);
  fs::permissions(cache.path, fs::perms::owner_write, fs::perm_options::remove);
  const auto in_child = [&](const std::string& repo) {
    int pipefd[2];
    REQUIRE(::pipe(pipefd) == 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(pipefd[0]);
      if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
      const std::string e = download_error(options(s, cache, repo));
      (void)!::write(pipefd[1], e.data(), e.size());
      ::_exit(0);
    }
    ::close(pipefd[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    ::close(pipefd[0]);
    int st = 0;
    ::waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
    return out;
  };
  CHECK(in_child("tiny/gpt2") == "(no error)");
  const std::string e = in_child("tiny/other");
  CHECK(contains(e, "cannot write to the cache at " + cache.path.string()));
  CHECK(contains(e, "set HF_HUB_CACHE"));
  for (const fs::directory_entry& e2 : fs::recursive_directory_iterator(cache.path))
    if (!e2.is_symlink() && e2.is_directory()) fs::permissions(e2.path(), fs::perms::owner_write, fs::perm_options::add);
  fs::permissions(cache.path, fs::perms::owner_write, fs::perm_options::add);
}

TEST_CASE("a revision opens as ORG/NAME@REV, and a half-finished download says how to resume") {
  HubTestServer s;
  HubTestServer::Repo r = gpt2_repo();
  r.branches = {"main", "v1"};
  s.repos["tiny/gpt2"] = r;
  TempDir cache;
  Env env;
  env.set("HF_HUB_CACHE", cache.path.string());
  HubDownloadOptions o = options(s, cache, "tiny/gpt2");
  o.revision = "v1";
  const HubDownloadResult got = hub_download(o);
  CHECK(file_text(cache.path / "models--tiny--gpt2" / "refs" / "v1") == kCommit);
  CHECK(split_repo_revision("tiny/gpt2@v1") == std::make_pair(std::string("tiny/gpt2"), std::string("v1")));
  CHECK(split_repo_revision("tiny/gpt2") == std::make_pair(std::string("tiny/gpt2"), std::string("main")));
  CHECK(find_cached_model("tiny/gpt2@v1") == got.snapshot);
  CHECK(find_cached_model("tiny/gpt2@" + std::string(kCommit)) == got.snapshot);
  CHECK(open_model("tiny/gpt2@v1")->vocab_size() == 300);
  CHECK_THROWS_WITH_AS(open_model("tiny/gpt2@v7"), doctest::Contains("tiny/gpt2 is in the cache, but not at revision 'v7' (cached: v1)"), Error);
  // Cut off in the weights, no retries left: opening says the download did not finish.
  TempDir cache2;
  env.set("HF_HUB_CACHE", cache2.path.string());
  s.fault = HubTestServer::Fault::Truncate;
  s.faults_left = 1;
  HubDownloadOptions cut = options(s, cache2, "tiny/gpt2");
  cut.retries = 0;
  CHECK(contains(download_error(cut), "closed before"));
  const std::string msg = "the download of tiny/gpt2 did not finish: the weights are missing";
  CHECK_THROWS_WITH_AS(open_model("tiny/gpt2"), doctest::Contains(msg.c_str()), Error);
  CHECK_THROWS_WITH_AS(open_model("tiny/gpt2"), doctest::Contains("arrived and is kept"), Error);
  CHECK_THROWS_WITH_AS(open_model("tiny/gpt2"), doctest::Contains("run `embedscope-cli download tiny/gpt2` (or the Download tab)"), Error);
  // A snapshot that main does not name resumes by its commit.
  fs::remove(cache2.path / "models--tiny--gpt2" / "refs" / "main");
  CHECK_THROWS_WITH_AS(open_checkpoint(cache2.path / "models--tiny--gpt2" / "snapshots" / kCommit),
                       doctest::Contains(("embedscope-cli download tiny/gpt2@" + std::string(kCommit)).c_str()), Error);
  CHECK_THROWS_WITH_AS(open_checkpoint(cache2.path / "models--tiny--gpt2" / "snapshots" / kCommit), doctest::Contains(msg.c_str()), Error);
  std::vector<CachedModel> listed = list_cached_models();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].unfinished);
  hub_download(options(s, cache2, "tiny/gpt2"));
  CHECK(open_model("tiny/gpt2")->vocab_size() == 300);
  listed = list_cached_models();
  REQUIRE(listed.size() == 1);
  CHECK(!listed[0].unfinished);
}

TEST_CASE("a sharded model with a shard missing says which and how to resume") {
  HubTestServer s;
  HubTestServer::Repo r;
  r.commit = kCommit;
  const std::string index = R"({"metadata": {}, "weight_map": {"model.embed_tokens.weight": "model-00001-of-00002.safetensors",
                                 "model.norm.weight": "model-00002-of-00002.safetensors"}})";
  r.files = {{"config.json", R"({"model_type": "llama", "hidden_size": 4, "num_attention_heads": 1})", false},
             {"model.safetensors.index.json", index, false},
             {"model-00001-of-00002.safetensors", safetensors_text({table("model.embed_tokens.weight", 900, 4)}), true},
             {"model-00002-of-00002.safetensors", safetensors_text({vec("model.norm.weight", {1, 1, 1, 1})}), true}};
  s.repos["tiny/llama"] = r;
  TempDir cache;
  const HubDownloadResult got = hub_download(options(s, cache, "tiny/llama"));
  fs::remove(got.snapshot / "model-00002-of-00002.safetensors");
  CHECK_THROWS_WITH_AS(open_checkpoint(got.snapshot),
                       doctest::Contains("the download of tiny/llama did not finish: model-00002-of-00002.safetensors is missing"),
                       Error);
  // A folder outside any cache keeps the reader's own message.
  TempDir plain;
  std::ofstream(plain.path / "config.json") << "{}";
  CHECK_THROWS_WITH_AS(open_checkpoint(plain.path), doctest::Contains("no weights found"), Error);
}
