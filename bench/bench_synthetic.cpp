// Deterministic inputs for embedscope-bench (see bench_synthetic.h).
#include "bench_synthetic.h"

#include "safetensors.h"
#include "types.h"

#include <cmath>
#include <fstream>
#include <vector>

namespace es::bench {

namespace {

// splitmix64 + Box-Muller: fast and the same on every platform.
struct Rng {
  uint64_t s;
  bool has = false;
  double spare = 0;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
  double normal() {
    if (has) { has = false; return spare; }
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    double r = std::sqrt(-2.0 * std::log(u1)), t = 6.283185307179586 * u2;
    spare = r * std::sin(t);
    has = true;
    return r * std::cos(t);
  }
};

}  // namespace

uint64_t write_synthetic_gpt2(const std::filesystem::path& dir, uint64_t seed) {
  const int V = 50257, L = 1024, d = 768, r = 64;
  std::filesystem::create_directories(dir);
  Rng rng{seed};
  // Token table: Z (V, r) * A (r, d) with singular scales decaying like 1/(1+i/8), plus noise
  // whose scale varies by column, plus a common offset row.
  MatrixRM A(r, d);  // (r, d)
  for (int i = 0; i < r; ++i)
    for (int j = 0; j < d; ++j) A(i, j) = float(rng.normal() * 0.02 / (1.0 + i / 8.0));
  MatrixRM Z(V, r);  // (V, r)
  for (int i = 0; i < V; ++i)
    for (int j = 0; j < r; ++j) Z(i, j) = float(rng.normal());
  MatrixRM wte = Z * A;  // (V, d)
  std::vector<float> col_scale(d), offset(d);
  for (int j = 0; j < d; ++j) {
    col_scale[j] = float(0.02 * (0.5 + rng.uniform()));
    offset[j] = float(0.01 * rng.normal());
  }
  for (int i = 0; i < V; ++i)
    for (int j = 0; j < d; ++j) wte(i, j) += float(rng.normal()) * col_scale[j] + offset[j];
  Z.resize(0, 0);
  // Position table: a few sinusoids of the position along random directions, plus noise.
  MatrixRM wpe(L, d);  // (L, d)
  MatrixRM dirs(8, d);
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < d; ++j) dirs(i, j) = float(rng.normal() * 0.05);
  for (int p = 0; p < L; ++p) {
    for (int j = 0; j < d; ++j) wpe(p, j) = float(rng.normal() * 0.005);
    for (int i = 0; i < 8; ++i) {
      const double w = 3.141592653589793 * (1 + i / 2) / L;
      const double v = (i % 2 == 0) ? std::cos(w * p) : std::sin(w * p);
      wpe.row(p) += float(v) * dirs.row(i);
    }
  }
  std::vector<float> ones(d, 1.0f), zeros(d, 0.0f);
  std::vector<SafetensorsWriteTensor> tensors;
  tensors.push_back(make_write_tensor("wte.weight", SafetensorsDtype::F32, {V, d},
                                      std::span<const float>(wte.data(), size_t(V) * d)));
  wte.resize(0, 0);
  tensors.push_back(make_write_tensor("wpe.weight", SafetensorsDtype::F32, {L, d},
                                      std::span<const float>(wpe.data(), size_t(L) * d)));
  tensors.push_back(make_write_tensor("h.0.ln_1.weight", SafetensorsDtype::F32, {d}, ones));
  tensors.push_back(make_write_tensor("h.0.ln_1.bias", SafetensorsDtype::F32, {d}, zeros));
  write_safetensors(dir / "model.safetensors", tensors,
                    {{"format", "pt"}, {"note", "EmbedScope synthetic GPT-2 shapes, not a trained model"}});
  std::ofstream cfg(dir / "config.json");
  cfg << "{\"model_type\": \"gpt2\", \"vocab_size\": 50257, \"n_positions\": 1024, \"n_ctx\": 1024,"
         " \"n_embd\": 768, \"n_head\": 12, \"n_layer\": 12, \"layer_norm_epsilon\": 1e-05,"
         " \"tie_word_embeddings\": true}\n";
  if (!cfg) throw Error("cannot write config.json in '" + dir.string() + "'");
  return std::filesystem::file_size(dir / "model.safetensors");
}

std::string mixed_english(std::size_t bytes, uint64_t seed) {
  static const char* words[] = {
      "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be",
      "by", "on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have",
      "an", "had", "they", "you", "were", "their", "one", "all", "we", "can", "her", "has",
      "there", "been", "if", "more", "when", "will", "would", "who", "so", "no", "king", "queen",
      "embedding", "position", "vector", "transformer", "attention", "model", "token", "language",
      "understanding", "representation", "notwithstanding", "extraordinarily", "photosynthesis",
      "London", "Paris", "Ada", "Lovelace", "Babbage", "GPT", "BERT", "rotary", "sinusoidal",
      "café", "naïve", "résumé", "Zürich", "façade", "coöperate", "Ångström", "jalapeño"};
  static const char* contractions[] = {"don't", "it's", "we're", "they've", "I'm", "you'll", "she'd", "can't"};
  static const char* punct[] = {",", ".", ";", ":", "!", "?", " —", " (see above)", "\"", "..."};
  static const char* code[] = {"x = f(y) + 2;", "for (int i = 0; i < n; ++i)", "return {a, b};",
                               "def main():\n    print('hi')", "<|endoftext|>", "  \t  "};
  Rng rng{seed};
  std::string out;
  out.reserve(bytes + 64);
  bool sentence_start = true;
  while (out.size() < bytes) {
    const double u = rng.uniform();
    std::string w;
    if (u < 0.80) w = words[rng.next() % (sizeof(words) / sizeof(*words))];
    else if (u < 0.86) w = contractions[rng.next() % (sizeof(contractions) / sizeof(*contractions))];
    else if (u < 0.93) w = std::to_string(rng.next() % (u < 0.9 ? 100 : 1000000));
    else if (u < 0.95) w = code[rng.next() % (sizeof(code) / sizeof(*code))];
    else w = words[rng.next() % 50];
    if (sentence_start && !w.empty() && w[0] >= 'a' && w[0] <= 'z') w[0] = char(w[0] - 'a' + 'A');
    sentence_start = false;
    if (!out.empty() && out.back() != '\n') out += ' ';
    out += w;
    const double p = rng.uniform();
    if (p < 0.12) {
      const char* pu = punct[rng.next() % (sizeof(punct) / sizeof(*punct))];
      out += pu;
      sentence_start = pu[0] == '.' || pu[0] == '!' || pu[0] == '?';
    }
    if (p > 0.985) out += "\n\n";
  }
  // Cut at a UTF-8 boundary at or below `bytes`.
  std::size_t cut = bytes;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  return out;
}

}  // namespace es::bench
