// embedscope-bench: times the whole-vocabulary paths against baselines computed in the same
// run, on a real checkpoint (--model) or a GPT-2-sized synthetic one written to a temp dir.
//
//   open       open_checkpoint() vs reading the whole file into memory; VmRSS before/after
//   PCA        fit_pca (fast path) vs float64 covariance + Eigen's SelfAdjointEigenSolver,
//              every component, on the token table and on the position table
//   neighbours VocabularyIndex / nearest_neighbours vs a plain loop, one query over all rows
//   tokenize   GPT-2 BPE on 1 MB of mixed English vs its pre-tokenizer regex alone
//   tokenizer kinds  every tokenizer.json of tests/data/hf_tokenizers on 1 MB of text in many
//              scripts vs Hugging Face's Rust library on one thread (bench/rust_tokenizers.mjs,
//              when node and the npm package `tokenizers` are there: ES_RUST_TOKENIZERS names
//              the folder holding its node_modules, default /tmp/hfrust); --tokenizers DIR
//              times the tokenizer.json files of DIR's subfolders instead (released ones)
// Results are printed as a table; docs/PERFORMANCE.md records them. Exit status 1 when any
// fast result disagrees with its baseline.
#include "analysis.h"
#include "open_model.h"
#include "bench_synthetic.h"
#include "bench_large.h"
#include "bench_clock.h"
#include "trainer.h"
#include "bpe_pretokenizer.h"
#include "bpe_tokenizer.h"
#include "hf_tokenizer.h"
#include "checkpoint.h"
#include "model_source.h"
#include "pca_fast.h"
#include "simd.h"
#include "vocabulary.h"
#include "vocabulary_kernels.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using namespace es;

namespace {

using bench::cpu_s;
using bench::now_s;

// CPU seconds per run of the last time_runs() call (median); on a busy machine, wall time
// includes waiting for a core, CPU time does not.
double g_last_cpu = 0;

// Runs f `reps` times; returns the sorted wall times in seconds.
std::vector<double> time_runs(int reps, const std::function<void()>& f) {
  std::vector<double> t, c;
  for (int i = 0; i < reps; ++i) {
    double t0 = now_s(), c0 = cpu_s();
    f();
    t.push_back(now_s() - t0);
    c.push_back(cpu_s() - c0);
  }
  std::sort(t.begin(), t.end());
  std::sort(c.begin(), c.end());
  g_last_cpu = c[c.size() / 2];
  return t;
}
double median(const std::vector<double>& t) { return t[t.size() / 2]; }

long long vm_rss_kb() { return bench::status_kb("VmRSS"); }

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

struct Row {
  std::string what;
  double ours_s;
  double base_s;
  std::string goal;
  std::string note;
  double ours_cpu_s = NAN;  // CPU time of "ours" (all threads)
};
std::vector<Row> g_rows;
bool g_ok = true;

void report(const Row& r) {
  g_rows.push_back(r);
  std::printf("  %-42s ours %10.3f ms (cpu %.3f ms)  baseline %10.3f ms   x%.1f   %s\n", r.what.c_str(),
              r.ours_s * 1e3, r.ours_cpu_s * 1e3, r.base_s * 1e3, r.base_s / r.ours_s, r.note.c_str());
  std::fflush(stdout);
}

void fail(const std::string& msg) {
  std::printf("  MISMATCH: %s\n", msg.c_str());
  g_ok = false;
}

// The plain loop: every row, scalar double dot and norm, then a partial sort.
std::vector<Neighbour> plain_neighbours(const TableMap& t, const float* q, int k, int exclude) {
  const long long n = t.rows(), d = t.cols();
  double qn = 0;
  for (long long c = 0; c < d; ++c) qn += double(q[c]) * q[c];
  qn = std::sqrt(qn);
  std::vector<std::pair<double, int>> s;
  s.reserve(n);
  for (long long r = 0; r < n; ++r) {
    if (r == exclude) continue;
    const float* row = t.data() + r * d;
    double dot = 0, nn = 0;
    for (long long c = 0; c < d; ++c) {
      dot += double(row[c]) * q[c];
      nn += double(row[c]) * row[c];
    }
    if (nn > 0) s.push_back({-dot / (std::sqrt(nn) * qn), int(r)});
  }
  std::partial_sort(s.begin(), s.begin() + std::min<long long>(k, s.size()), s.end());
  std::vector<Neighbour> out;
  for (int i = 0; i < k && i < int(s.size()); ++i) out.push_back({s[i].second, float(-s[i].first)});
  return out;
}

bool same_ids(const std::vector<Neighbour>& a, const std::vector<Neighbour>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].id != b[i].id) return false;
  return true;
}

void bench_pca(const char* label, const TableMap& table, int reps, bool baseline) {
  const int d = int(table.cols());
  Eigen::Ref<const MatrixRM> rows(table);
  PcaBasis fast;
  PcaTiming ft;
  auto t = time_runs(reps, [&] { fast = fit_pca_method(rows, d, PcaMethod::Fast, &ft); });
  const double cpu_fast = g_last_cpu;
  std::printf("  %s fast PCA, all %d components: min %.1f ms, median %.1f ms (last run: covariance %.1f ms, eigen %.1f ms; %s)\n",
              label, d, t.front() * 1e3, median(t) * 1e3, ft.covariance_s * 1e3, ft.eigen_s * 1e3, ft.path.c_str());
  PcaTiming ft3;
  auto t3 = time_runs(reps, [&] { fit_pca_method(rows, 3, PcaMethod::Fast, &ft3); });
  std::printf("  %s fast PCA, 3 components: median %.1f ms (covariance %.1f ms, eigen %.1f ms)\n", label,
              median(t3) * 1e3, ft3.covariance_s * 1e3, ft3.eigen_s * 1e3);
  // The leading 3 by block subspace iteration, against the exact fast path (same run).
  PcaTiming it3;
  PcaBasis iter3, exact3;
  auto ti = time_runs(reps, [&] { iter3 = fit_pca_method(rows, 3, PcaMethod::Iterative, &it3); });
  const double cpu_iter = g_last_cpu;
  exact3 = fit_pca_method(rows, 3, PcaMethod::Fast);
  double max_di = 0;
  for (int i = 0; i < 3; ++i)
    max_di = std::max(max_di, std::abs(iter3.explained_variance_ratio[i] - exact3.explained_variance_ratio[i]));
  {
    char note[256];
    std::snprintf(note, sizeof note, "%s; max |ratio - exact| = %.2e", it3.path.c_str(), max_di);
    report({std::string(label) + " PCA, leading 3, iterative", median(ti), median(t3), "ratios within 1e-4", note, cpu_iter});
  }
  if (max_di > 1e-4) fail(std::string(label) + " iterative PCA ratios differ from the exact ones by " + std::to_string(max_di));
  fast::set_force_portable_scatter(true);
  PcaTiming pt;
  auto tp = time_runs(1, [&] { fit_pca_method(rows, d, PcaMethod::Fast, &pt); });
  fast::set_force_portable_scatter(false);
  std::printf("  %s portable path (OpenBLAS SSYRK covariance): %.1f ms (covariance %.1f ms)\n", label,
              tp.front() * 1e3, pt.covariance_s * 1e3);
  if (!baseline) {
    report({std::string(label) + " PCA (all components)", median(t), NAN, "< 200 ms", "baseline skipped", cpu_fast});
    return;
  }
  PcaBasis ref;
  PcaTiming rt;
  auto tr = time_runs(1, [&] { ref = fit_pca_method(rows, d, PcaMethod::Reference, &rt); });
  double max_dr = 0;
  for (int i = 0; i < d; ++i)
    max_dr = std::max(max_dr, std::abs(fast.explained_variance_ratio[i] - ref.explained_variance_ratio[i]));
  double min_cos = 1;
  int separated = 0;
  for (int i = 0; i < std::min(d, 10); ++i) {
    // only components whose eigenvalue is separated from its neighbours are determined
    double gap = std::min(i > 0 ? ref.explained_variance[i - 1] - ref.explained_variance[i] : 1e300,
                          ref.explained_variance[i] - ref.explained_variance[i + 1]);
    if (gap < 1e-3 * ref.total_variance) continue;
    ++separated;
    min_cos = std::min(min_cos, double(std::abs(fast.components.row(i).cast<double>().dot(ref.components.row(i).cast<double>()))));
  }
  char note[256];
  std::snprintf(note, sizeof note, "max |ratio - ref| = %.2e over %d ratios; top-10 separated comps: %d, min |cos| %.6f",
                max_dr, d, separated, min_cos);
  report({std::string(label) + " PCA (all components)", median(t), tr.front(), "< 200 ms", note, cpu_fast});
  if (max_dr > 1e-4) fail(std::string(label) + " PCA ratios differ from the float64 reference by " + std::to_string(max_dr));
  if (separated > 0 && min_cos < 0.9999) fail(std::string(label) + " PCA components differ from the reference");
}

// Memory bandwidth: the best of a few passes summing a 512 MB buffer (two threads), GB/s.
// Integer sums, which the compiler vectorises, so the loop is limited by memory, not by adds.
double measure_read_bandwidth() {
  const std::size_t n = (std::size_t(512) << 20) / sizeof(std::uint32_t);
  std::vector<std::uint32_t> buf(n, 1u);
  double best = 1e300;
  std::uint64_t keep = 0;
  for (int r = 0; r < 3; ++r) {
    std::uint64_t s1 = 0;
    const double t0 = now_s();
    std::thread other([&] {
      std::uint64_t s = 0;
      for (std::size_t i = n / 2; i < n; ++i) s += buf[i];
      s1 = s;
    });
    std::uint64_t s0 = 0;
    for (std::size_t i = 0; i < n / 2; ++i) s0 += buf[i];
    other.join();
    best = std::min(best, now_s() - t0);
    keep += s0 + s1;
  }
  if (keep != 3 * std::uint64_t(n)) std::printf("  (bandwidth buffer changed?)\n");
  return double(n) * sizeof(std::uint32_t) / best / 1e9;
}

// The token-table covariance and a neighbour query on each SIMD path the CPU has, as fractions
// of the machine's SGEMM throughput and memory bandwidth measured here.
void bench_paths(const TableMap& table) {
  const double gflops = fast::measure_sgemm_gflops();
  const double bw = measure_read_bandwidth();
  std::printf("  machine limits: OpenBLAS SGEMM %.0f GFLOP/s (2 threads), memory read %.1f GB/s\n", gflops, bw);
  const long long n = table.rows(), d = table.cols();
  Eigen::Ref<const MatrixRM> rows(table);
  std::vector<SimdLevel> levels = {SimdLevel::Portable};
  if (cpu_simd_level() >= SimdLevel::Avx2) levels.push_back(SimdLevel::Avx2);
  if (cpu_simd_level() >= SimdLevel::Avx512) levels.push_back(SimdLevel::Avx512);
  for (SimdLevel level : levels) {
    set_simd_cap(level);
    PcaTiming pt;
    std::vector<double> cov;
    auto tp = time_runs(5, [&] {
      fit_pca_method(rows, int(d), PcaMethod::Fast, &pt);
      cov.push_back(pt.covariance_s);
    });
    std::sort(cov.begin(), cov.end());
    const double flops = double(n) * double(d) * double(d);  // upper triangle: n d^2 / 2 FMAs
    VocabularyIndex index(table);
    std::vector<double> tq;
    for (int i = 0; i < 20; ++i) {
      const double t0 = now_s();
      (void)index.nearest_to_token(int((i * 2503LL + 17) % n), 10, false);
      tq.push_back(now_s() - t0);
    }
    std::sort(tq.begin(), tq.end());
    const double q = tq[tq.size() / 2];
    const double bytes = double(n) * double(d);  // the int8 codes, read once per query
    std::printf("  %-8s PCA all components: median %.1f ms (covariance %.1f ms = %.0f GFLOP/s, %.0f%% of SGEMM; kernel %s)\n"
                "  %-8s neighbour query: median %.2f ms (%.1f GB/s over the codes, %.0f%% of the read bandwidth; kernel %s)\n",
                simd_level_name(level).c_str(), median(tp) * 1e3, cov[cov.size() / 2] * 1e3,
                flops / cov[cov.size() / 2] / 1e9, 100.0 * flops / cov[cov.size() / 2] / 1e9 / gflops,
                pt.path.c_str(), simd_level_name(level).c_str(), q * 1e3, bytes / q / 1e9, 100.0 * bytes / q / 1e9 / bw,
                fast::search_kernel_name().c_str());
  }
  set_simd_cap(SimdLevel::Avx512);
}

// The training lab's step for a fixed small model (2 layers, d 64, 4 heads, context 64,
// batch 16) on the toy language: tokens per second with BLAS and 1 or 2 workers, against the
// same step with every matrix product as plain loops (the straightforward implementation),
// and the achieved rate against the machine's SGEMM.
void bench_train(double sgemm_gflops) {
  train::TrainOptions o;
  o.model.layers = 2, o.model.dim = 64, o.model.heads = 4, o.model.context = 64, o.model.scheme = "learned";
  o.batch = 16;
  const train::Corpus corpus = train::load_corpus("toy", "", 1, 200'000);
  auto rate = [&](int threads, train::MatmulBackend backend, int steps, double* cpu) {
    o.threads = threads;
    train::Trainer t(o, corpus);
    t.model().set_backend(backend);
    t.step();  // warm-up: allocations, position data
    std::vector<double> per;
    const double c0 = cpu_s();
    for (int s = 0; s < steps; ++s) {
      const double t0 = now_s();
      t.step();
      per.push_back(now_s() - t0);
    }
    if (cpu) *cpu = (cpu_s() - c0) / steps;
    std::sort(per.begin(), per.end());
    return median(per);
  };
  const long long tokens = static_cast<long long>(o.batch) * o.model.context;
  // Multiply-adds of one step: forward 2 * (12 d^2 + 2 T d) per token and layer (projections,
  // MLP, attention scores and mix over half the keys on average... counted in full here), the
  // tied head 2 V d; backward twice the forward.
  const double d = o.model.dim, T = o.model.context, V = corpus.vocab, L = o.model.layers;
  const double flops = 3.0 * tokens * (L * (24 * d * d + 4 * T * d) + 2 * V * d);
  double cpu1 = 0, cpu2 = 0, cpun = 0;
  const double t1 = rate(1, train::MatmulBackend::Blas, 40, &cpu1);
  const double t2 = rate(2, train::MatmulBackend::Blas, 40, &cpu2);
  const double tn = rate(1, train::MatmulBackend::Naive, 3, &cpun);
  std::printf("  model: 2 layers, d 64, 4 heads, context 64, batch 16, vocabulary %d (toy language); %.2f GFLOP per step\n",
              corpus.vocab, flops / 1e9);
  std::printf("  1 worker:  %.2f ms per step, %.0f tokens/s, %.1f GFLOP/s (%.0f%% of SGEMM)\n", t1 * 1e3, tokens / t1,
              flops / t1 / 1e9, 100 * flops / t1 / 1e9 / sgemm_gflops);
  std::printf("  2 workers: %.2f ms per step, %.0f tokens/s, %.1f GFLOP/s (%.0f%% of SGEMM)\n", t2 * 1e3, tokens / t2,
              flops / t2 / 1e9, 100 * flops / t2 / 1e9 / sgemm_gflops);
  std::printf("  plain loops (1 worker): %.1f ms per step, %.0f tokens/s\n", tn * 1e3, tokens / tn);
  char note[200];
  std::snprintf(note, sizeof note, "%.0f tokens/s (2 workers), %.0f (1); baseline: the same step with plain-loop matmuls", tokens / t2,
                tokens / t1);
  report({"training step, 2 layers d 64 (1024 tokens)", t2, tn, "-", note, cpu2});
}

}  // namespace

// Opens the model (timed, with resident memory before and after) against reading the whole
// weights file.
std::unique_ptr<ModelSource> bench_open(const std::string& model_spec, const fs::path& model_path) {
  std::printf("\n[open]\n");
  const long long rss0 = vm_rss_kb();
  double t0 = now_s();
  std::unique_ptr<ModelSource> model = model_spec.empty() ? open_checkpoint(model_path) : open_model(model_spec);
  const double t_open = now_s() - t0;
  const long long rss1 = vm_rss_kb();
  std::vector<int> sentence = {464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13};
  for (int& id : sentence) id = int(id % model->vocab_size());
  MatrixRM rows_out(sentence.size(), model->dim());
  model->gather_token_rows(sentence, rows_out);
  const long long rss2 = vm_rss_kb();
  fs::path weights = model_path / "model.safetensors";
  double t_read = NAN;
  long long rss_read = 0;
  if (fs::exists(weights)) {
    t0 = now_s();
    std::vector<char> all(fs::file_size(weights));
    std::ifstream(weights, std::ios::binary).read(all.data(), std::streamsize(all.size()));
    t_read = now_s() - t0;
    rss_read = vm_rss_kb() - rss2;
  }
  std::printf("  %s: V=%lld d=%lld, %s\n", model->name().c_str(), model->vocab_size(), model->dim(), model->label().c_str());
  std::printf("  VmRSS before open %lld kB, after open %lld kB (+%lld), after gathering %zu token rows %lld kB (+%lld)\n",
              rss0, rss1, rss1 - rss0, sentence.size(), rss2, rss2 - rss1);
  char note[200];
  std::snprintf(note, sizeof note, "RSS +%lld kB at open, +%lld kB for %zu rows; read-all grows RSS by %lld kB",
                rss1 - rss0, rss2 - rss1, sentence.size(), rss_read);
  report({"open checkpoint", t_open, t_read, "< 20 ms", note, NAN});

  return model;
}

// Top-10 neighbours over the whole token table: the index, the single exact pass and a plain
// loop, each query's answers compared.
void bench_neighbours(const TableMap& table) {
  char note[200];
  std::printf("\n[neighbours]\n");
  const long long V = table.rows();
  std::unique_ptr<VocabularyIndex> index;
  auto tb = time_runs(1, [&] { index = std::make_unique<VocabularyIndex>(table); });
  std::printf("  index build (norms + int8 codes, first touch of every page): %.1f ms, %.1f MB\n",
              tb.front() * 1e3, double(V) * table.cols() / 1e6);
  const int k = 10, queries = 20;
  std::vector<int> qids;
  for (int i = 0; i < queries; ++i) qids.push_back(int((i * 2503LL + 17) % V));
  std::vector<std::vector<Neighbour>> base_res(queries), exact_res(queries), index_res(queries);
  const int base_queries = 5;
  auto tbase = time_runs(base_queries, [&, i = 0]() mutable {
    base_res[i] = plain_neighbours(table, table.data() + qids[i] * table.cols(), k, qids[i]);
    ++i;
  });
  auto texact = time_runs(queries, [&, i = 0]() mutable {
    const int ex[1] = {qids[i]};
    exact_res[i] = nearest_neighbours(table, std::span<const float>(table.data() + qids[i] * table.cols(), table.cols()), k, ex);
    ++i;
  });
  const double cpu_exact = g_last_cpu;
  long long cand = 0;
  auto tindex = time_runs(queries, [&, i = 0]() mutable {
    index_res[i] = index->nearest_to_token(qids[i], k, false);
    cand += index->last_candidates();
    ++i;
  });
  const double cpu_index = g_last_cpu;
  for (int i = 0; i < queries; ++i) {
    if (i < base_queries && !same_ids(base_res[i], index_res[i])) fail("index neighbours of token " + std::to_string(qids[i]) + " differ from the plain loop");
    if (!same_ids(exact_res[i], index_res[i])) fail("index and exact-pass neighbours of token " + std::to_string(qids[i]) + " differ");
  }
  std::snprintf(note, sizeof note, "VocabularyIndex, median of %d; %.0f rows rescored on average", queries, double(cand) / queries);
  report({"neighbour query, top-10 of " + std::to_string(V), median(tindex), median(tbase), "< 3 ms", note, cpu_index});
  std::snprintf(note, sizeof note, "nearest_neighbours() single exact pass, median of %d", queries);
  report({"neighbour query, exact pass (no index)", median(texact), median(tbase), "< 3 ms", note, cpu_exact});

}

// 1 MB of mixed English through a fresh tokenizer (cold) and again (warm), against the regex
// split alone; decode must give the text back.
void bench_tokenize(const ModelSource& model) {
  char note[200];
  std::printf("\n[tokenize]\n");
  const std::string text = bench::mixed_english(1 << 20);
  std::shared_ptr<const Tokenizer> tok = model.tokenizer();
  if (!tok) tok = default_gpt2_tokenizer();
  std::unique_ptr<Tokenizer> fresh;
  if (has_bpe_tokenizer_files(default_gpt2_tokenizer_dir())) fresh = load_bpe_tokenizer_dir(default_gpt2_tokenizer_dir());
  const Tokenizer& tk = fresh ? *fresh : *tok;
  std::vector<int> ids;
  auto tcold = time_runs(1, [&] { ids = tk.encode(text); });
  const double cpu_cold = g_last_cpu;
  auto twarm = time_runs(3, [&] { ids = tk.encode(text); });
  const double cpu_warm = g_last_cpu;
  bpe::Pretokenizer pre;
  std::vector<std::string_view> pieces;
  auto tpre = time_runs(3, [&] { pieces.clear(); pre.split(text, pieces); });
  if (tk.decode(ids) != text) fail("decode(encode(text)) != text");
  const double mb = text.size() / 1e6;
  std::snprintf(note, sizeof note, "%zu tokens, %.1f MB/s (fresh tokenizer, empty piece cache); baseline = regex split only",
                ids.size(), mb / tcold.front());
  report({"tokenize 1 MB mixed English (cold)", tcold.front(), median(tpre), ">= 10 MB/s", note, cpu_cold});
  std::snprintf(note, sizeof note, "%.1f MB/s (piece cache filled by the run before)", mb / median(twarm));
  report({"tokenize 1 MB mixed English (warm)", median(twarm), median(tpre), ">= 10 MB/s", note, cpu_warm});

}

// 1 MB of text in many scripts: the corpus of the tokenizer fixtures and the conformance
// cases (Latin, CJK, Korean, Arabic, Devanagari, Cyrillic, emoji, code, numbers, hostile
// text), lines shuffled with a fixed seed until 1 MiB.
std::string multiscript_text(const fs::path& data) {
  std::vector<std::string> lines;
  {
    std::ifstream in(data / "corpus.txt");
    for (std::string l; std::getline(in, l);)
      if (!l.empty()) lines.push_back(l);
  }
  std::ifstream ref(data / "rust_reference.json");
  const nlohmann::json j = nlohmann::json::parse(ref);
  const auto b64 = [](const std::string& in) {
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (char c : in) {
      int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
              : c == '+' ? 62 : c == '/' ? 63 : -1;
      if (v < 0) continue;
      acc = (acc << 6) | unsigned(v);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out += char((acc >> bits) & 0xFF);
      }
    }
    return out;
  };
  for (const auto& c : j["files"]["qwen2/tokenizer.json"]) {
    const std::string t = b64(c["text_b64"].get<std::string>());
    if (t.find('<') == std::string::npos && t.find('[') == std::string::npos) lines.push_back(t);  // no special tokens
  }
  std::mt19937 rng(1234);
  std::string text;
  while (text.size() < (std::size_t{1} << 20)) {
    text += lines[rng() % lines.size()];
    text += rng() % 4 ? " " : "\n";
  }
  return text;
}

// Every tokenizer.json kind on 1 MB in many scripts, against the Rust library on one thread.
void bench_tokenizer_kinds(const fs::path& folder) {
  std::printf("\n[tokenizer kinds]\n");
  const fs::path data = fs::path(ES_SOURCE_DIR) / "tests" / "data" / "hf_tokenizers";
  const fs::path tokenizers = folder.empty() ? data : folder;
  const std::string text = multiscript_text(data);
  const fs::path text_file = fs::temp_directory_path() / ("embedscope-bench-text-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(text_file, std::ios::binary) << text;
  const char* env = std::getenv("ES_RUST_TOKENIZERS");
  const fs::path node_path = fs::path(env && *env ? env : "/tmp/hfrust") / "node_modules";
  const bool rust = fs::exists(node_path / "tokenizers") && std::system("node --version > /dev/null 2>&1") == 0;
  if (!rust) std::printf("  (no reference: node or the npm package tokenizers is missing under %s)\n", node_path.c_str());
  std::vector<std::string> dirs;
  for (const auto& e : fs::directory_iterator(tokenizers))
    if (fs::exists(e.path() / "tokenizer.json")) dirs.push_back(e.path().filename().string());
  std::sort(dirs.begin(), dirs.end());
  const double mb = text.size() / 1e6;
  for (const std::string& d : dirs) {
    const fs::path file = tokenizers / d / "tokenizer.json";
    std::vector<int> ids;
    std::unique_ptr<Tokenizer> tok;
    auto tcold = time_runs(1, [&] {
      tok = load_tokenizer_json(file).tokenizer;
      ids = tok->encode(text, false);
    });
    const double cpu_cold = g_last_cpu;
    auto twarm = time_runs(3, [&] { ids = tok->encode(text, false); });
    const double cpu_warm = g_last_cpu;
    double rust_cold = NAN, rust_warm = NAN;
    long long rust_n = -1;
    if (rust) {
      const std::string cmd = "RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false NODE_PATH='" + node_path.string() + "' node '" +
                              (fs::path(ES_SOURCE_DIR) / "bench" / "rust_tokenizers.mjs").string() + "' '" + file.string() +
                              "' '" + text_file.string() + "'";
      if (FILE* p = ::popen(cmd.c_str(), "r")) {
        if (std::fscanf(p, "%lf %lf %lld", &rust_cold, &rust_warm, &rust_n) != 3) rust_n = -1;
        ::pclose(p);
      }
    }
    char note[240];
    std::snprintf(note, sizeof note, "%zu tokens (Rust: %lld), %.1f MB/s warm%s", ids.size(), rust_n, mb / median(twarm),
                  rust_n >= 0 && rust_n != static_cast<long long>(ids.size()) ? "; TOKEN COUNTS DIFFER" : "");
    report({"tokenize 1 MB many scripts, " + d + " (load + first)", tcold.front(), rust_cold * 1e-3, ">= Rust library, 1 thread",
            note, cpu_cold});
    report({"tokenize 1 MB many scripts, " + d + " (warm)", median(twarm), rust_warm * 1e-3, ">= Rust library, 1 thread",
            note, cpu_warm});
    if (rust_n >= 0 && rust_n != static_cast<long long>(ids.size())) fail(d + ": token count differs from the Rust library's");
  }
  fs::remove(text_file);
}

// A LLaMA-shaped table in memory (rows x cols, f32): a rank-64 part with decaying scales plus
// noise, like the synthetic GPT-2 table; the leading 3 components by the iterative method, and
// by the exact path too when asked (minutes at 4,096 wide on two cores).
void bench_pca_shape(long long n, long long d, bool exact) {
  std::printf("\n[PCA %lld x %lld]\n", n, d);
  const long long rss0 = vm_rss_kb();
  MatrixRM table(n, d);
  {
    std::mt19937 rng(7);
    std::normal_distribution<float> nd(0.f, 1.f);
    const int r = 64;
    MatrixRM basis(r, d), coef(1, r);
    for (long long i = 0; i < r * d; ++i) basis.data()[i] = nd(rng) / std::sqrt(float(d));
    for (long long row = 0; row < n; ++row) {
      for (int j = 0; j < r; ++j) coef(0, j) = nd(rng) * std::pow(0.93f, float(j));
      table.row(row) = coef * basis;
      for (long long c = 0; c < d; c += 1) table(row, c) += 0.01f * nd(rng);
    }
  }
  const long long rss1 = vm_rss_kb();
  PcaTiming it;
  PcaBasis b;
  auto ti = time_runs(1, [&] { b = fit_pca_method(table, 3, PcaMethod::Iterative, &it); });
  const double cpu_it = g_last_cpu;
  const long long rss2 = vm_rss_kb();
  double base = NAN;
  char note[320];
  if (exact) {
    PcaBasis e;
    auto te = time_runs(1, [&] { e = fit_pca_method(table, 3, PcaMethod::Fast); });
    base = te.front();
    double dr = 0;
    for (int i = 0; i < 3; ++i) dr = std::max(dr, std::abs(e.explained_variance_ratio[i] - b.explained_variance_ratio[i]));
    if (dr > 1e-4) fail("iterative PCA ratios differ from the exact ones by " + std::to_string(dr));
    std::snprintf(note, sizeof note, "%s; ratios %.5f %.5f %.5f, max |ratio - exact| %.1e; table %.2f GB, RSS +%.2f GB during",
                  it.path.c_str(), b.explained_variance_ratio[0], b.explained_variance_ratio[1], b.explained_variance_ratio[2], dr,
                  (rss1 - rss0) / 1e6, (rss2 - rss1) / 1e6);
  } else {
    std::snprintf(note, sizeof note, "%s; ratios %.5f %.5f %.5f; table %.2f GB in memory, RSS +%.2f GB during (exact: --pca-shape-exact)",
                  it.path.c_str(), b.explained_variance_ratio[0], b.explained_variance_ratio[1], b.explained_variance_ratio[2],
                  (rss1 - rss0) / 1e6, (rss2 - rss1) / 1e6);
  }
  report({"PCA leading 3, iterative, " + std::to_string(n) + " x " + std::to_string(d), ti.front(), base, "< 1 s (issue 21)",
          note, cpu_it});
}

void print_summary() {
  std::printf("\n| measure | ours (ms) | ours CPU (ms) | baseline (ms) | baseline/ours | goal | note |\n|---|---|---|---|---|---|---|\n");
  for (const Row& r : g_rows)
    std::printf("| %s | %.2f | %.2f | %.2f | %.1f | %s | %s |\n", r.what.c_str(), r.ours_s * 1e3, r.ours_cpu_s * 1e3,
                r.base_s * 1e3, r.base_s / r.ours_s, r.goal.c_str(), r.note.c_str());
}

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "--large-child") return bench::run_large_child(argc - 2, argv + 2);
  bench::LargeOptions large;
  bool large_run = false;
  std::string model_spec;
  bool keep = false, skip_baseline_pca = false, tokenizers_only = false;
  fs::path tokenizer_folder;  // folders holding a tokenizer.json each (default: the test fixtures)
  long long pca_rows = 0, pca_cols = 0;  // --pca-shape: only the iterative PCA of such a table
  bool pca_exact = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--model" && i + 1 < argc) model_spec = argv[++i];
    else if (a == "--keep") keep = large.keep = true;
    else if (a == "--skip-baseline-pca") skip_baseline_pca = true;
    else if (a == "--tokenizers-only") tokenizers_only = true;
    else if (a == "--large") large_run = true;
    else if (a == "--exact") large.exact = true;
    else if (a == "--no-python") large.python = false;
    else if ((a == "--shapes" || a == "--dtypes") && i + 1 < argc) {
      std::stringstream list(argv[++i]);
      std::string item;
      while (std::getline(list, item, ',')) {
        long long r = 0, c = 0;
        if (a == "--dtypes") {
          if (item != "BF16" && item != "F16" && item != "F32") {
            std::fprintf(stderr, "--dtypes takes BF16, F16 and F32\n");
            return 2;
          }
          large.dtypes.push_back(item);
        } else if (std::sscanf(item.c_str(), "%lldx%lld", &r, &c) == 2 && r >= 1024 && c >= 8) {
          large.shapes.emplace_back(r, c);
        } else {
          std::fprintf(stderr, "--shapes takes ROWSxCOLS[,ROWSxCOLS...], at least 1024 rows and 8 columns\n");
          return 2;
        }
      }
    }
    else if (a == "--tokenizers" && i + 1 < argc) tokenizer_folder = argv[++i];
    else if ((a == "--pca-shape" || a == "--pca-shape-exact") && i + 1 < argc) {
      pca_exact = a == "--pca-shape-exact";
      if (std::sscanf(argv[++i], "%lldx%lld", &pca_rows, &pca_cols) != 2 || pca_rows < 2 || pca_cols < 1) {
        std::fprintf(stderr, "--pca-shape takes ROWSxCOLS, e.g. 128256x4096\n");
        return 2;
      }
    }
    else {
      std::fprintf(stderr,
                   "usage: embedscope-bench [--model PATH|NAME] [--keep] [--skip-baseline-pca] [--tokenizers-only] [--tokenizers DIR]\n"
                   "       [--pca-shape[-exact] ROWSxCOLS]\n"
                   "       [--large [--shapes 128256x4096,152064x8192] [--dtypes BF16,F32] [--exact] [--no-python]]\n"
                   "  Without --model, writes a GPT-2-sized synthetic F32 checkpoint to a temp dir.\n");
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  try {
    fast::set_blas_threads(2);
    std::printf("embedscope-bench\n  machine: %s, %u hardware threads; CPU flags: %s\n"
                "  kernels: covariance %s, search %s (SIMD level %s; ES_SIMD=portable|avx2|avx512 caps it)\n",
                cpu_model().c_str(), std::thread::hardware_concurrency(), cpu_simd_flags().c_str(),
                fast::scatter_kernel_name().c_str(), fast::search_kernel_name().c_str(),
                simd_level_name(simd_level()).c_str());

    if (large_run) {
      if (large.shapes.empty()) large.shapes = {{128256, 4096}, {152064, 8192}};
      if (large.dtypes.empty()) large.dtypes = {"BF16", "F32"};
      large.self = fs::read_symlink("/proc/self/exe").string();
      return bench::run_large(large);
    }
    if (pca_rows > 0) {
      bench_pca_shape(pca_rows, pca_cols, pca_exact);
      print_summary();
      return g_ok ? 0 : 1;
    }
    if (tokenizers_only) {
      bench_tokenizer_kinds(tokenizer_folder);
      print_summary();
      return g_ok ? 0 : 1;
    }
    fs::path tmp;
    fs::path model_path;
    if (model_spec.empty()) {
      tmp = fs::temp_directory_path() / ("embedscope-bench-" + std::to_string(::getpid()));
      double t0 = now_s();
      uint64_t size = bench::write_synthetic_gpt2(tmp / "gpt2-synthetic");
      std::printf("  wrote synthetic GPT-2-sized checkpoint %s (%.1f MB) in %.2f s\n",
                  (tmp / "gpt2-synthetic").c_str(), size / 1e6, now_s() - t0);
      model_path = tmp / "gpt2-synthetic";
    }

    std::unique_ptr<ModelSource> model = bench_open(model_spec, model_path);
    const TableMap table = model->token_table();
    bench_neighbours(table);

    // ---- PCA ----
    std::printf("\n[PCA]\n");
    bench_pca("token table", table, 5, !skip_baseline_pca);
    if (auto pos = model->position_table()) bench_pca("position table", *pos, 5, true);
    else std::printf("  (no learned position table)\n");

    // ---- every SIMD path this CPU has, in this run, against the machine's own limits ----
    std::printf("\n[paths]\n");
    bench_paths(table);

    bench_tokenize(*model);
    bench_tokenizer_kinds(tokenizer_folder);

    // ---- training lab ----
    std::printf("\n[train]\n");
    bench_train(fast::measure_sgemm_gflops());

    print_summary();
    model.reset();
    if (!tmp.empty() && !keep) fs::remove_all(tmp);
    else if (!tmp.empty()) std::printf("kept %s\n", tmp.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "embedscope-bench: %s\n", e.what());
    return 2;
  }
  std::printf("%s\n", g_ok ? "all fast results agree with their baselines" : "SOME RESULTS DISAGREE");
  return g_ok ? 0 : 1;
}
