// embedscope-bench --large (bench_large.h).
#include "bench_large.h"
#include "bench_clock.h"

#include "checkpoint.h"
#include "model_source.h"
#include "safetensors.h"
#include "simd.h"
#include "skinny_kernels.h"
#include "vocabulary.h"
#include "vocabulary_kernels.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>
#include <unistd.h>
#include <sys/resource.h>

namespace es::bench {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kTensor = "model.embed_tokens.weight";

long long peak_kb() { return status_kb("VmHWM"); }

// xoshiro256** (fast, deterministic), and an approximate normal: the sum of four 16-bit
// uniforms, centred and scaled to variance 1 (Irwin-Hall), plenty for a synthetic table.
struct TableRng {
  uint64_t s[4];
  explicit TableRng(uint64_t seed) {
    for (uint64_t& v : s) {
      seed += 0x9e3779b97f4a7c15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      v = z ^ (z >> 31);
    }
  }
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t next() {
    const uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
  }
  float normal() {
    const uint64_t r = next();
    const float sum = float(r & 0xffff) + float((r >> 16) & 0xffff) + float((r >> 32) & 0xffff) + float(r >> 48);
    return (sum - 2.0f * 65535.0f) * (1.0f / 37837.0f);  // sd of one: 65536 / sqrt(12)
  }
};

// A LLaMA-shaped checkpoint: <dir>/model.safetensors with model.embed_tokens.weight (rows, cols)
// in `dtype` (a rank-64 part with decaying scales, a common offset and noise, like a trained
// table's spectrum) and a LLaMA config.json. Streamed in blocks, two threads generating.
uint64_t write_table(const fs::path& dir, long long n, long long d, const std::string& dtype) {
  fs::create_directories(dir);
  const int r = 64;
  MatrixRM basis(r, d);
  RowVectorF offset(d);
  {
    TableRng g(11);
    for (long long i = 0; i < r * d; ++i) basis.data()[i] = g.normal() / std::sqrt(float(d)) * 0.2f;
    for (long long i = 0; i < d; ++i) offset(i) = 0.002f * g.normal();
  }
  const std::size_t esize = dtype == "F32" ? 4 : 2;
  const uint64_t bytes = uint64_t(n) * uint64_t(d) * esize;
  std::string header = "{\"" + std::string(kTensor) + "\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + std::to_string(n) +
                       "," + std::to_string(d) + "],\"data_offsets\":[0," + std::to_string(bytes) + "]}}";
  while ((8 + header.size()) % 8) header.push_back(' ');
  std::ofstream out(dir / "model.safetensors", std::ios::binary);
  const uint64_t hsize = header.size();
  out.write(reinterpret_cast<const char*>(&hsize), 8);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  const long long block = 4096;
  std::vector<char> buf;
  MatrixRM rows;
  for (long long b = 0; b < n; b += block) {
    const long long m = std::min(block, n - b);
    rows.resize(m, d);
    MatrixRM coef(m, r);
    TableRng g(1000 + uint64_t(b));
    for (long long i = 0; i < m; ++i)
      for (int j = 0; j < r; ++j) coef(i, j) = g.normal() * std::pow(0.93f, float(j));
    rows.noalias() = coef * basis;
    auto noise = [&](long long r0, long long r1, uint64_t seed) {
      TableRng gn(seed);
      for (long long i = r0; i < r1; ++i) {
        float* row = rows.row(i).data();
        for (long long c = 0; c < d; ++c) row[c] += offset(c) + 0.01f * gn.normal();
      }
    };
    std::thread other(noise, m / 2, m, 77 + 2 * uint64_t(b));
    noise(0, m / 2, 78 + 2 * uint64_t(b));
    other.join();
    buf.resize(std::size_t(m * d) * esize);
    if (dtype == "F32") {
      std::memcpy(buf.data(), rows.data(), buf.size());
    } else {
      auto* p = reinterpret_cast<uint16_t*>(buf.data());
      for (long long i = 0; i < m * d; ++i) p[i] = dtype == "BF16" ? float_to_bf16_bits(rows.data()[i]) : float_to_f16_bits(rows.data()[i]);
    }
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  }
  if (!out) throw Error("could not write " + (dir / "model.safetensors").string());
  out.close();
  std::ofstream(dir / "config.json") << "{\"model_type\": \"llama\", \"hidden_size\": " << d << ", \"vocab_size\": " << n
                                     << ", \"num_attention_heads\": 32, \"num_key_value_heads\": 8,"
                                        " \"max_position_embeddings\": 8192, \"rms_norm_eps\": 1e-5,"
                                        " \"rope_theta\": 500000.0}\n";
  return 8 + hsize + bytes;
}

std::string run_capture(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buf[4096];
    std::size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, got);
    ::pclose(p);
  }
  return out;
}
// The last line of the output that parses as a JSON object, or null.
Json last_json(const std::string& text) {
  Json found;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (!line.empty() && line[0] == '{') {
      try {
        found = Json::parse(line);
      } catch (const Json::exception&) {
      }
    }
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return found;
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

struct Line {
  std::string what, ours, peer, ratio, goal, memory, note;
};
std::vector<Line> g_lines;
bool g_ok = true;

std::string ms(double s) {
  char b[32];
  std::snprintf(b, sizeof b, s >= 10 ? "%.1f s" : s >= 1 ? "%.2f s" : "%.0f ms", s >= 1 ? s : s * 1e3);
  return b;
}
std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

}  // namespace

int run_large_child(int argc, char** argv) {
  if (argc < 2) return 2;
  const std::string what = argv[0];
  const fs::path dir = argv[1];
  Json out;
  try {
    const double t0 = now_s(), c0 = cpu_s();
    const std::unique_ptr<ModelSource> model = open_checkpoint(dir);
    const TableView table = model->token_table_view();
    out["open_s"] = now_s() - t0;
    out["type"] = element_type_name(table.type);
    if (what == "pca" || what == "exact") {
      PcaTiming timing;
      const double t1 = now_s();
      const PcaBasis b = fit_pca_view(table, 3, what == "pca" ? PcaMethod::Iterative : PcaMethod::Fast, &timing);
      out["work_s"] = now_s() - t1;
      out["ratios"] = b.explained_variance_ratio;
      out["path"] = timing.path;
    } else if (what == "neighbours") {
      const int id = std::atoi(argv[2]), k = 10;
      const double t1 = now_s();
      RowVectorF q(table.cols);
      table.read_rows(id, 1, q.data());
      const int self[1] = {id};
      const std::vector<Neighbour> first = nearest_neighbours(table, std::span<const float>(q.data(), q.size()), k, self);
      out["work_s"] = now_s() - t1;
      {  // the same pass again, the table now in the page tables and recently read
        const double t5 = now_s();
        (void)nearest_neighbours(table, std::span<const float>(q.data(), q.size()), k, self);
        out["again_s"] = now_s() - t5;
      }
      std::vector<int> ids;
      for (const Neighbour& nb : first) ids.push_back(nb.id);
      out["ids"] = ids;
      const double t2 = now_s();
      const VocabularyIndex index(table);
      out["index_s"] = now_s() - t2;
      std::vector<double> later;
      long long candidates = 0;
      bool same = true;
      for (int i = 0; i < 21; ++i) {
        const int qid = i == 0 ? id : int((id + 7919LL * i) % table.rows);
        const double t3 = now_s();
        const std::vector<Neighbour> got = index.nearest_to_token(qid, k);
        later.push_back(now_s() - t3);
        candidates += index.last_candidates();
        if (i == 0)
          for (std::size_t j = 0; j < got.size(); ++j) same = same && got[j].id == first[j].id && got[j].cosine == first[j].cosine;
      }
      std::sort(later.begin(), later.end());
      out["later_s"] = later[later.size() / 2];
      out["candidates"] = candidates / 21;
      out["index_agrees"] = same;
    } else {
      throw Error("unknown measure " + what);
    }
    out["total_s"] = now_s() - t0;
    out["cpu_s"] = cpu_s() - c0;
    out["peak_kb"] = peak_kb();
  } catch (const std::exception& e) {
    out["error"] = e.what();
  }
  std::printf("%s\n", out.dump().c_str());
  return out.contains("error") ? 1 : 0;
}

int run_large(const LargeOptions& o) {
  const fs::path tmp = fs::temp_directory_path() / (o.keep ? std::string("embedscope-bench-large")
                                                           : "embedscope-bench-large-" + std::to_string(::getpid()));
  const char* py_env = std::getenv("ES_PYTHON");
  const std::string python = py_env ? py_env : "/usr/bin/python3";
  const std::string script = std::string(ES_SOURCE_DIR) + "/bench/large_baselines.py";
  std::printf("\n[large tables: each measure in its own process, the file in the page cache; skinny kernel %s]\n",
              fast::skinny_kernel_name().c_str());
  for (const auto& [n, d] : o.shapes)
    for (const std::string& dtype : o.dtypes) {
      const std::string label = std::to_string(n) + " x " + std::to_string(d) + " " + dtype;
      const fs::path dir = tmp / (std::to_string(n) + "x" + std::to_string(d) + dtype);
      double t0 = now_s();
      std::error_code ec;
      const uint64_t expected = uint64_t(n) * uint64_t(d) * (dtype == "F32" ? 4 : 2);
      const uint64_t kept = o.keep ? fs::file_size(dir / "model.safetensors", ec) : 0;
      const bool reuse = o.keep && !ec && kept > expected && kept < expected + 4096;
      const uint64_t size = reuse ? kept : write_table(dir, n, d, dtype);
      const double file_gb = double(size) / 1e9;
      std::printf("  %s: %s %.2f GB in %.1f s\n", label.c_str(), reuse ? "reused (read)" : "wrote", file_gb, now_s() - t0);
      if (reuse) {  // into the page cache, as a fresh file would be
        std::ifstream in(dir / "model.safetensors", std::ios::binary);
        std::vector<char> buf(1 << 24);
        while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
        }
      }
      std::fflush(stdout);
      const std::string file = (dir / "model.safetensors").string();
      auto child = [&](const std::string& args) {
        const Json j = last_json(run_capture(quote(o.self) + " --large-child " + args + " 2>&1"));
        if (j.is_null() || j.contains("error")) {
          std::printf("  %s: child '%s' failed: %s\n", label.c_str(), args.c_str(), j.is_null() ? "no output" : j["error"].get<std::string>().c_str());
          g_ok = false;
        }
        return j;
      };
      auto peer = [&](const std::string& what, const std::string& extra) -> Json {
        if (!o.python) return Json();
        const Json j = last_json(run_capture(quote(python) + " " + quote(script) + " " + what + " " + quote(file) + " " + kTensor +
                                             " " + extra + " 2>&1"));
        if (j.is_null()) std::printf("  %s: the %s peer did not run (numpy / scikit-learn for %s?)\n", label.c_str(), what.c_str(), python.c_str());
        return j;
      };
      auto mem = [&](const Json& j) {
        if (j.is_null() || !j.contains("peak_kb")) return std::string("-");
        const double gb = j["peak_kb"].get<double>() * 1024 / 1e9;
        return fmt("%.2f GB", gb) + fmt(" (%.2fx)", gb / file_gb);
      };
      // PCA: the leading 3 components.
      const Json pca = child("pca " + quote(dir.string()));
      const Json skl = peer("pca", "3");
      if (!pca.is_null() && !pca.contains("error")) {
        const double ours = pca["open_s"].get<double>() + pca["work_s"].get<double>();
        std::string ratio = "-", peer_s = "-", note = pca["path"].get<std::string>();
        if (!skl.is_null()) {
          const double theirs = skl["load_s"].get<double>() + skl["work_s"].get<double>();
          peer_s = ms(theirs) + " (" + ms(skl["load_s"]) + " load + " + ms(skl["work_s"]) + ") " + mem(skl);
          ratio = fmt("%.1fx", theirs / ours);
          double diff = 0;
          for (int i = 0; i < 3; ++i) diff = std::max(diff, std::abs(pca["ratios"][i].get<double>() - skl["ratios"][i].get<double>()));
          note += fmt("; ratios %.5f", pca["ratios"][0].get<double>()) + fmt(" %.5f", pca["ratios"][1].get<double>()) +
                  fmt(" %.5f", pca["ratios"][2].get<double>()) + fmt(", scikit-learn's differ by up to %.1e", diff);
          if (theirs / ours < 5) g_ok = false;
        }
        g_lines.push_back({"PCA leading 3, " + label + " (open + fit)", ms(ours) + fmt(" (cpu %.2f s)", pca["cpu_s"].get<double>()),
                           peer_s, ratio, ">= 5x scikit-learn; < 1 s", mem(pca), note});
        if (ours > 1.0) std::printf("  note: %s PCA took %.2f s (goal < 1 s)\n", label.c_str(), ours);
      }
      // Neighbours of row 1000: the first query from the file, then later ones with the index.
      const Json nb = child("neighbours " + quote(dir.string()) + " 1000");
      const Json np = peer("neighbours", "10 1000");
      if (!nb.is_null() && !nb.contains("error")) {
        const double ours = nb["open_s"].get<double>() + nb["work_s"].get<double>();
        std::string ratio = "-", peer_s = "-", note;
        if (!np.is_null()) {
          const double theirs = np["load_s"].get<double>() + np["work_s"].get<double>();
          peer_s = ms(theirs) + " (" + ms(np["load_s"]) + " load + " + ms(np["work_s"]) + ") " + mem(np);
          ratio = fmt("%.1fx", theirs / ours);
          note = nb["ids"] == np["ids"] ? "same 10 ids as NumPy" : "ids differ from NumPy's (float32 near-ties?)";
          if (theirs / ours < 10) g_ok = false;
        }
        g_lines.push_back({"first neighbour query, " + label + " (open + query)", ms(ours), peer_s, ratio,
                           ">= 10x NumPy; < 300 ms", mem(nb), note});
        std::string later_note = "index built in " + ms(nb["index_s"]) + " (the exact pass again: " + ms(nb["again_s"]) + "); " + std::to_string(nb["candidates"].get<long long>()) +
                                 " rows rescored a query; " + (nb["index_agrees"].get<bool>() ? "same answer as the exact pass" : "DIFFERS from the exact pass");
        if (!nb["index_agrees"].get<bool>()) g_ok = false;
        g_lines.push_back({"later neighbour query, " + label + " (index)", ms(nb["later_s"]),
                           np.is_null() ? "-" : ms(np["later_s"]),
                           np.is_null() ? "-" : fmt("%.1fx", np["later_s"].get<double>() / nb["later_s"].get<double>()),
                           "< 40 ms", "", later_note});
      }
      if (o.exact && d <= 4096) {
        const Json ex = child("exact " + quote(dir.string()));
        if (!ex.is_null() && !ex.contains("error") && !pca.is_null() && !pca.contains("error")) {
          double diff = 0;
          for (int i = 0; i < 3; ++i) diff = std::max(diff, std::abs(pca["ratios"][i].get<double>() - ex["ratios"][i].get<double>()));
          if (diff > 1e-4) g_ok = false;
          g_lines.push_back({"exact PCA (every component), " + label, ms(ex["total_s"]), "-", "-", "background in the desktop",
                             mem(ex), fmt("iterative ratios differ from these by %.1e", diff)});
        }
      }
      if (!o.keep) fs::remove_all(dir);
    }
  if (!o.keep) fs::remove_all(tmp);
  std::printf("\n| measure | EmbedScope | NumPy / scikit-learn (same file, same run) | ratio | goal | EmbedScope peak memory (x file) | note |\n"
              "|---|---|---|---|---|---|---|\n");
  for (const Line& l : g_lines)
    std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", l.what.c_str(), l.ours.c_str(), l.peer.c_str(), l.ratio.c_str(),
                l.goal.c_str(), l.memory.c_str(), l.note.c_str());
  return g_ok ? 0 : 1;
}

}  // namespace es::bench
