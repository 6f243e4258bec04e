// Repeated tokens and where their equality ends (see repeats.h).
#include "repeats.h"

#include "assets.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>

namespace es {

namespace {

double l2_distance(const MatrixRM& m, int i, int j) {
  return (m.row(i).cast<double>() - m.row(j).cast<double>()).norm();
}

double row_cosine(const MatrixRM& m, int i, int j) {
  const RowVectorD a = m.row(i).cast<double>(), b = m.row(j).cast<double>();
  const double den = a.norm() * b.norm();
  return den > 0 ? a.dot(b) / den : std::nan("");
}

// <R_i x, R_j x> / |x|^2 for the token row x cut into heads (the whole head: rotated and
// pass-through dims), with the scheme's own rotation. A proxy: real q and k are projections.
double rope_pair_score(const RowVectorF& x, const PositionScheme& scheme, int i, int j) {
  const int d = static_cast<int>(x.size());
  const int head = scheme.params().head_dim > 0 && scheme.params().head_dim <= d ? scheme.params().head_dim : d;
  double dot = 0, norm2 = 0;
  for (int h0 = 0; h0 + head <= d; h0 += head) {
    MatrixRM a = x.segment(h0, head), b = a;  // (1, head)
    scheme.rotate_qk(a, i);
    scheme.rotate_qk(b, j, false, true);  // b as a key (xPos scales keys by the inverse factor)
    dot += a.cast<double>().cwiseProduct(b.cast<double>()).sum();
    norm2 += x.segment(h0, head).cast<double>().squaredNorm();
  }
  return norm2 > 0 ? dot / norm2 : std::nan("");
}

}  // namespace

RowShift row_shift(const MatrixRM& s, int i, int j) {
  double lo = INFINITY, hi = -INFINITY, sum = 0;
  long long count = 0;
  for (long long k = 0; k < s.cols(); ++k) {
    const float a = s(i, k), b = s(j, k);
    if (!std::isfinite(a) || !std::isfinite(b)) continue;
    const double dk = double(b) - a;
    lo = std::min(lo, dk), hi = std::max(hi, dk), sum += dk, ++count;
  }
  if (count == 0) return {};
  // One shared key: the shift is defined, the spread says nothing (softmax of one logit is 1).
  return {sum / static_cast<double>(count), count >= 2 ? hi - lo : std::nan("")};
}

std::vector<RepeatedTokenGroup> find_repeated_tokens(const InputEmbedding& emb,
                                                     const PositionScheme& scheme,
                                                     const Tokenizer* tokenizer,
                                                     const MatrixRM* interaction) {
  std::map<int, std::vector<int>> positions_of;  // id -> positions, ascending
  for (int pos = 0; pos < static_cast<int>(emb.ids.size()); ++pos) positions_of[emb.ids[pos]].push_back(pos);

  // One row per pair of equal tokens: a long text of few distinct words has about n^2 / 2
  // pairs (a pasted 300,000-token text froze the CLI). Refuse past a million pairs.
  constexpr unsigned long long kMaxPairs = 1'000'000;
  unsigned long long pair_count = 0;
  for (const auto& [id, positions] : positions_of) pair_count += positions.size() * (positions.size() - 1) / 2;
  if (pair_count > kMaxPairs)
    throw Error("the text has " + std::to_string(pair_count) + " pairs of repeated tokens; the repeated-token "
                "table shows at most 1,000,000 pairs; shorten the text");

  const bool needs_s = scheme.entry() == PositionEntry::AttentionBias;
  const bool rotates = scheme.entry() == PositionEntry::QueryKeyRotation;
  const bool causal = scheme.params().causal;
  MatrixRM own_s;
  const MatrixRM* s = interaction;
  std::vector<RepeatedTokenGroup> groups;
  for (const auto& [id, positions] : positions_of) {
    if (positions.size() < 2) continue;
    if (needs_s && !s) {
      own_s = scheme.interaction(static_cast<long long>(emb.ids.size()), emb.token.cols());
      s = &own_s;
    }
    RepeatedTokenGroup g;
    g.id = id;
    g.positions = positions;
    if (tokenizer && id < tokenizer->vocab_size()) g.text = tokenizer->token_bytes(id);
    for (std::size_t a = 0; a < positions.size(); ++a)
      for (std::size_t b = a + 1; b < positions.size(); ++b) {
        RepeatedTokenPair p;
        p.i = positions[a];
        p.j = positions[b];
        p.token_l2 = l2_distance(emb.token, p.i, p.j);
        p.token_cos = row_cosine(emb.token, p.i, p.j);
        p.combined_l2 = l2_distance(emb.combined, p.i, p.j);
        p.combined_cos = row_cosine(emb.combined, p.i, p.j);
        if (rotates) p.rope_self_score = rope_pair_score(emb.token.row(p.i), scheme, p.i, p.j);
        if (needs_s) {
          const RowShift rs = row_shift(*s, p.i, p.j);
          if (std::isfinite(rs.shift)) p.bias_shift = rs.shift;
          if (std::isfinite(rs.spread)) p.bias_shift_spread = rs.spread;
        }
        if (causal) p.window_extra_keys = p.j - p.i;
        g.pairs.push_back(p);
      }
    groups.push_back(std::move(g));
  }
  // Earliest first occurrence first: the order a reader meets them in the text.
  std::sort(groups.begin(), groups.end(), [](const RepeatedTokenGroup& x, const RepeatedTokenGroup& y) {
    return x.positions.front() < y.positions.front();
  });
  return groups;
}

std::string suggest_repeat_sentence(const Tokenizer* tokenizer) {
  if (!tokenizer) return "";
  // Candidates from assets/sentences.json, in order.
  static const std::vector<std::string> candidates = [] {
    std::vector<std::string> out;
    try {
      const nlohmann::json j = nlohmann::json::parse(embedded_asset("sentences.json"));
      for (const auto& c : j.at("repeat_candidates")) out.push_back(c.get<std::string>());
    } catch (const nlohmann::json::exception&) {
    }
    return out;
  }();
  for (const std::string& s : candidates) {
    try {
      std::vector<int> ids = tokenizer->encode(s);
      std::sort(ids.begin(), ids.end());
      if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) return s;
    } catch (const Error&) {
    }
  }
  return "";
}

std::string default_sentence() {
  try {
    return nlohmann::json::parse(embedded_asset("sentences.json")).at("default").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return "the cat sat on the mat";
  }
}

std::string token_label(const RepeatedTokenGroup& group) {
  if (group.text.empty()) return "token #" + std::to_string(group.id);
  return std::string("\"").append(visible_token_text(group.text)).append("\"");
}

std::string describe_pair(const RepeatedTokenGroup& group, const RepeatedTokenPair& pair) {
  return token_label(group) + " at positions " + std::to_string(pair.i) +
         " and " + std::to_string(pair.j);
}

}  // namespace es
