#include "hf_tokenizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "bpe_merge.h"
#include "file_text.h"
#include "added_vocab.h"
#include "hf_steps.h"
#include "types.h"
#include "unicode_text.h"

namespace es {

namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;
using namespace hf;

// No tokenizer has more; a bigger claim is a broken or hostile file.
constexpr std::size_t kMaxVocab = std::size_t{1} << 24;

// ---- models ---------------------------------------------------------------------------------

struct ViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>()(s); }
};
using Vocab = std::unordered_map<std::string, int, ViewHash, std::equal_to<>>;

int lookup(const Vocab& v, std::string_view s) {
  const auto it = v.find(s);
  return it == v.end() ? -1 : it->second;
}

std::string byte_piece(unsigned char b) {
  static const char* digits = "0123456789ABCDEF";
  return std::string("<0x") + digits[b >> 4] + digits[b & 15] + ">";
}


class Model {
 public:
  virtual ~Model() = default;
  virtual void encode(std::string_view piece, std::vector<int>& out) const = 0;
  Vocab vocab;
  std::vector<std::string> pieces;  // id -> piece ("" for a gap in the ids)
  bool byte_fallback = false;
  std::string kind;

  void add_piece(const std::string& p, long long id, const std::string& where) {
    if (id < 0 || static_cast<std::size_t>(id) >= kMaxVocab)
      throw Error(where + ": token id " + std::to_string(id) + " is outside 0.." + std::to_string(kMaxVocab - 1));
    if (pieces.size() <= static_cast<std::size_t>(id)) pieces.resize(static_cast<std::size_t>(id) + 1);
    pieces[static_cast<std::size_t>(id)] = p;
    vocab.emplace(p, static_cast<int>(id));
  }
  void read_vocab_object(const Json& v, const std::string& where) {
    if (!v.is_object()) throw Error(where + ": model.vocab must be an object token -> id");
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!it.value().is_number_integer()) throw Error(where + ": the id of \"" + it.key() + "\" is not an integer");
      add_piece(it.key(), it.value().get<long long>(), where);
    }
  }
};

// WordLevel: each pre-token is looked up whole; one the vocabulary lacks is the unk token (an
// error when the file names none, as the Rust library's MissingUnkToken).
class WordLevelModel final : public Model {
 public:
  WordLevelModel(const Json& m, const std::string& where) : where_(where) {
    kind = "WordLevel";
    read_vocab_object(m.value("vocab", Json()), where);
    unk_name_ = text_of(m, "unk_token", "<unk>");
    unk_ = lookup(vocab, unk_name_);
  }
  void encode(std::string_view w, std::vector<int>& out) const override {
    const int id = lookup(vocab, w);
    if (id >= 0) {
      out.push_back(id);
      return;
    }
    if (unk_ < 0)
      throw Error(where_ + ": the WordLevel model has no token for a word of the text, and its unk token \"" + unk_name_ +
                  "\" is not in its vocabulary");
    out.push_back(unk_);
  }

 private:
  std::string where_, unk_name_;
  int unk_ = -1;
};

class WordPieceModel final : public Model {
 public:
  WordPieceModel(const Json& m, const std::string& where) {
    kind = "WordPiece";
    read_vocab_object(m.value("vocab", Json()), where);
    prefix_ = text_of(m, "continuing_subword_prefix", "##");
    const std::string unk = text_of(m, "unk_token", "[UNK]");
    unk_ = lookup(vocab, unk);  // may be missing: only a word it cannot spell needs it
    unk_name_ = unk;
    if (m.contains("max_input_chars_per_word") && m["max_input_chars_per_word"].is_number_unsigned())
      max_chars_ = m["max_input_chars_per_word"].get<std::size_t>();
  }
  void encode(std::string_view w, std::vector<int>& out) const override {
    std::size_t chars = 0;
    for (unsigned char c : w) chars += (c & 0xC0) != 0x80;
    if (chars > max_chars_) {
      out.push_back(unknown());
      return;
    }
    const std::size_t mark = out.size();
    std::string buf;
    for (std::size_t start = 0; start < w.size();) {
      std::size_t end = w.size();
      int found = -1;
      while (start < end) {
        buf.clear();
        if (start > 0) buf = prefix_;
        buf.append(w.substr(start, end - start));
        found = lookup(vocab, buf);
        if (found >= 0) break;
        do --end;  // back one character
        while (end > start && (static_cast<unsigned char>(w[end]) & 0xC0) == 0x80);
      }
      if (found < 0) {
        out.resize(mark);
        out.push_back(unknown());
        return;
      }
      out.push_back(found);
      start = end;
    }
  }
  std::string prefix_;

 private:
  int unknown() const {
    if (unk_ < 0)
      throw Error("the text has a word this WordPiece vocabulary cannot spell, and its unknown token \"" + unk_name_ +
                  "\" is not in the vocabulary");
    return unk_;
  }
  int unk_ = -1;
  std::string unk_name_;
  std::size_t max_chars_ = 100;
};

class BpeModel final : public Model {
 public:
  BpeModel(const Json& m, const std::string& where) {
    kind = "BPE";
    read_vocab_object(m.value("vocab", Json()), where);
    byte_fallback = flag(m, "byte_fallback", false);
    fuse_unk_ = flag(m, "fuse_unk", false);
    ignore_merges_ = flag(m, "ignore_merges", false);
    prefix_ = text_of(m, "continuing_subword_prefix", "");
    suffix_ = text_of(m, "end_of_word_suffix", "");
    const std::string unk = text_of(m, "unk_token", "");
    if (!unk.empty()) {
      unk_ = lookup(vocab, unk);
      if (unk_ < 0) throw Error(where + ": the unknown token \"" + unk + "\" is not in the vocabulary");
    }
    if (byte_fallback)
      for (int b = 0; b < 256; ++b) byte_ids_[b] = lookup(vocab, byte_piece(static_cast<unsigned char>(b)));
    if (!m.contains("merges") || !m["merges"].is_array()) throw Error(where + ": model.merges must be a list");
    const Json& merges = m["merges"];
    ranks_.reserve(merges.size());
    std::uint32_t rank = 0;
    for (const Json& x : merges) {
      std::string a, b;
      if (x.is_string()) {
        const std::string s = x.get<std::string>();
        const std::size_t sp = s.find(' ');
        if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
          throw Error(where + ": the merge \"" + s + "\" is not two tokens separated by one space");
        a = s.substr(0, sp);
        b = s.substr(sp + 1);
      } else if (x.is_array() && x.size() == 2 && x[0].is_string() && x[1].is_string()) {
        a = x[0].get<std::string>();
        b = x[1].get<std::string>();
      } else {
        throw Error(where + ": a merge must be \"a b\" or [\"a\", \"b\"]");
      }
      const std::string merged = a + (b.size() >= prefix_.size() ? b.substr(prefix_.size()) : std::string());
      const int l = lookup(vocab, a), r = lookup(vocab, b), n = lookup(vocab, merged);
      if (l < 0 || r < 0 || n < 0)
        throw Error(where + ": the merge \"" + a + " " + b + "\" uses or makes a token that is not in the vocabulary");
      ranks_.insert(l, r, rank++, n);
    }
  }
  void encode(std::string_view w, std::vector<int>& out) const override {
    if (w.empty()) return;
    if (ignore_merges_) {
      if (const int id = lookup(vocab, w); id >= 0) {
        out.push_back(id);
        return;
      }
    }
    thread_local std::vector<int> ids;
    ids.clear();
    int unk_run = -1;  // a pending (fused) unknown
    std::string s;
    for (std::size_t i = 0; i < w.size();) {
      const std::size_t start = i;
      uni::next_code_point(w, i);
      s.clear();
      if (start > 0) s += prefix_;
      s.append(w.substr(start, i - start));
      if (i == w.size()) s += suffix_;
      if (const int id = lookup(vocab, s); id >= 0) {
        if (unk_run >= 0) ids.push_back(unk_run);
        unk_run = -1;
        ids.push_back(id);
        continue;
      }
      if (byte_fallback) {
        bool all = true;
        for (unsigned char c : s) all = all && byte_ids_[c] >= 0;
        if (all) {
          // Hugging Face keeps a pending unknown waiting here; it is flushed by the next known
          // character (or the end), so bytes come before it, as there.
          for (unsigned char c : s) ids.push_back(byte_ids_[c]);
          continue;
        }
      }
      if (unk_ >= 0) {
        if (unk_run >= 0 && !fuse_unk_) ids.push_back(unk_run);
        unk_run = unk_;
      }
    }
    if (unk_run >= 0) ids.push_back(unk_run);
    bpe::merge_heap(ranks_, ids);
    out.insert(out.end(), ids.begin(), ids.end());
  }

 private:
  bpe::PairRanks ranks_;
  bool fuse_unk_ = false, ignore_merges_ = false;
  std::string prefix_, suffix_;
  int unk_ = -1;
  int byte_ids_[256];
};

class UnigramModel final : public Model {
 public:
  UnigramModel(const Json& m, const std::string& where) {
    kind = "Unigram";
    const Json& v = m.value("vocab", Json());
    if (!v.is_array()) throw Error(where + ": a Unigram model.vocab must be a list of [piece, score]");
    if (v.size() > kMaxVocab) throw Error(where + ": the vocabulary is larger than any real one");
    scores_.reserve(v.size());
    double min_score = std::numeric_limits<double>::infinity();
    for (std::size_t id = 0; id < v.size(); ++id) {
      const Json& e = v[id];
      if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number())
        throw Error(where + ": vocab entry " + std::to_string(id) + " is not [piece, score]");
      const std::string p = e[0].get<std::string>();
      const double score = e[1].get<double>();
      if (!std::isfinite(score)) throw Error(where + ": the score of \"" + p + "\" is not a finite number");
      add_piece(p, static_cast<long long>(id), where);
      scores_.push_back(score);
      min_score = std::min(min_score, score);
      max_len_ = std::max(max_len_, p.size());
    }
    if (v.empty()) throw Error(where + ": the Unigram vocabulary is empty");
    unk_score_ = min_score - 10.0;  // Hugging Face's K_UNK_PENALTY
    if (m.contains("unk_id") && m["unk_id"].is_number_integer()) {
      const long long u = m["unk_id"].get<long long>();
      if (u < 0 || static_cast<std::size_t>(u) >= v.size()) throw Error(where + ": unk_id is not an id of the vocabulary");
      unk_ = static_cast<int>(u);
    }
    byte_fallback = flag(m, "byte_fallback", false);
    if (byte_fallback)
      for (int b = 0; b < 256; ++b) byte_ids_[b] = lookup(vocab, byte_piece(static_cast<unsigned char>(b)));
  }
  void encode(std::string_view w, std::vector<int>& out) const override {
    const std::size_t n = w.size();
    if (n == 0) return;
    struct Node {
      double score = 0;
      long long start = -1;  // -1: not reached
      int id = 0;
    };
    std::vector<Node> best(n + 1);
    for (std::size_t at = 0; at < n;) {
      std::size_t k = at;
      uni::next_code_point(w, k);
      const std::size_t first = k - at;
      const double base = best[at].score;
      bool single = false;
      for (std::size_t len = 1; len <= max_len_ && at + len <= n; ++len) {
        const int id = lookup(vocab, w.substr(at, len));
        if (id < 0) continue;
        Node& t = best[at + len];
        const double cand = base + scores_[static_cast<std::size_t>(id)];
        if (t.start < 0 || cand > t.score) t = {cand, static_cast<long long>(at), id};
        if (len == first) single = true;
      }
      if (!single) {
        if (unk_ < 0) throw Error("a Unigram tokenizer without unk_id met a character it has no piece for");
        Node& t = best[at + first];
        const double cand = base + unk_score_;
        if (t.start < 0 || cand > t.score) t = {cand, static_cast<long long>(at), unk_};
      }
      at += first;
    }
    // Back from the end: consecutive unknowns fuse into one.
    std::vector<std::pair<std::size_t, std::size_t>> parts;  // [s, e) of each token
    std::vector<bool> unknown;
    for (std::size_t end = n; end > 0;) {
      const Node& node = best[end];
      const std::size_t s = static_cast<std::size_t>(node.start);
      const bool is_unk = node.id == unk_;
      if (is_unk && !unknown.empty() && unknown.back()) {
        parts.back().first = s;
      } else {
        parts.emplace_back(s, end);
        unknown.push_back(is_unk);
      }
      end = s;
    }
    for (std::size_t k = parts.size(); k-- > 0;) {
      const std::string_view piece = w.substr(parts[k].first, parts[k].second - parts[k].first);
      if (const int id = lookup(vocab, piece); id >= 0) {
        out.push_back(id);
        continue;
      }
      if (byte_fallback) {
        bool all = true;
        for (unsigned char c : piece) all = all && byte_ids_[c] >= 0;
        if (all) {
          for (unsigned char c : piece) out.push_back(byte_ids_[c]);
          continue;
        }
      }
      out.push_back(unk_);
    }
  }

 private:
  std::vector<double> scores_;
  std::size_t max_len_ = 0;
  double unk_score_ = 0;
  int unk_ = -1;
  int byte_ids_[256];
};

// ---- the tokenizer --------------------------------------------------------------------------


class HfTokenizer final : public Tokenizer {
 public:
  std::string name_;
  std::unique_ptr<Model> model_;
  TextNormalizer normalizer_;
  PreTokenizer pre_;
  std::vector<AddedToken> added_list_;  // as the file lists them
  AddedVocabulary added_;              // built from added_list_ once the normalizer is known
  std::vector<int> prefix_ids_, suffix_ids_;  // the post-processor's special tokens
  std::string meta_;                           // the Metaspace character pieces use for ' '
  bool strip_first_space_ = false;            // decode: drop the space the prepend added
  Decoder decoder_;                            // the file's decoder (null: none, join with spaces)
  bool decoder_known_ = true;                  // false: one EmbedScope does not implement
  bool wordpiece_decode_ = false;
  std::string wordpiece_prefix_ = "##";
  int vocab_size_ = 0;
  Vocab by_bytes_;
  std::vector<bool> special_;
  std::unordered_map<int, std::string> added_by_id_;

  void finish() {
    vocab_size_ = static_cast<int>(model_->pieces.size());
    for (const AddedToken& a : added_list_) vocab_size_ = std::max(vocab_size_, a.id + 1);
    special_.assign(static_cast<std::size_t>(vocab_size_), false);
    for (const AddedToken& a : added_list_) {
      special_[static_cast<std::size_t>(a.id)] = special_[static_cast<std::size_t>(a.id)] || a.special;
      added_by_id_.emplace(a.id, a.content);
    }
    added_ = AddedVocabulary(added_list_, normalizer_);
    for (int id = 0; id < vocab_size_; ++id) by_bytes_.emplace(token_bytes(id), id);
  }

  std::string name() const override { return name_; }
  int vocab_size() const override { return vocab_size_; }
  bool is_special(int id) const override {
    return id >= 0 && id < vocab_size_ && special_[static_cast<std::size_t>(id)];
  }

  std::vector<int> encode(std::string_view raw, bool allow_special) const override {
    const std::string text = uni::sanitize_utf8(raw);
    std::vector<int> out;
    if (allow_special) out = prefix_ids_;
    added_.encode(text, allow_special, normalizer_,
                  [&](std::string_view seg, std::size_t offset) { encode_segment(seg, offset, out); }, out);
    if (allow_special) out.insert(out.end(), suffix_ids_.begin(), suffix_ids_.end());
    return out;
  }

  std::string token_bytes(int id) const override {
    if (id < 0 || id >= vocab_size_)
      throw Error("token id " + std::to_string(id) + " is outside the vocabulary (0.." + std::to_string(vocab_size_ - 1) + ")");
    if (const auto it = added_by_id_.find(id); it != added_by_id_.end()) return it->second;
    if (static_cast<std::size_t>(id) >= model_->pieces.size()) return std::string();
    const std::string& p = model_->pieces[static_cast<std::size_t>(id)];
    if (model_->byte_fallback) {
      const int b = byte_of_piece(p);
      if (b >= 0) return std::string(1, static_cast<char>(b));
    }
    if (meta_.empty()) return p;
    std::string out;
    for (std::size_t k = 0; k < p.size();) {
      if (p.compare(k, meta_.size(), meta_) == 0) {
        out += ' ';
        k += meta_.size();
      } else {
        out += p[k++];
      }
    }
    return out;
  }

  std::optional<int> find_token(std::string_view bytes) const override {
    const auto it = by_bytes_.find(bytes);
    if (it == by_bytes_.end()) return std::nullopt;
    return it->second;
  }

  // As the library decodes: each id's token (an added token's content, else the model's
  // piece), through the file's decoder (ByteFallback, Metaspace, WordPiece, ...), joined; no
  // decoder joins them with spaces. A decoder EmbedScope does not implement: the pieces' own
  // text, joined as the model kind suggests.
  std::string decode(std::span<const int> ids) const override {
    if (!decoder_known_) return decode_by_kind(ids);
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (int id : ids) {
      if (id < 0 || id >= vocab_size_) token_bytes(id);  // throws the message
      if (const auto it = added_by_id_.find(id); it != added_by_id_.end()) tokens.push_back(it->second);
      else if (static_cast<std::size_t>(id) < model_->pieces.size()) tokens.push_back(model_->pieces[static_cast<std::size_t>(id)]);
      else tokens.emplace_back();
    }
    std::string out;
    if (!decoder_) {
      for (std::size_t k = 0; k < tokens.size(); ++k) out += (k ? " " : "") + tokens[k];
      return out;
    }
    decoder_(tokens);
    for (const std::string& t : tokens) out += t;
    return out;
  }

  std::string decode_by_kind(std::span<const int> ids) const {
    std::string out;
    if (wordpiece_decode_) {
      for (std::size_t k = 0; k < ids.size(); ++k) {
        std::string t = token_bytes(ids[k]);
        if (t.compare(0, wordpiece_prefix_.size(), wordpiece_prefix_) == 0 && !is_special(ids[k])) {
          t.erase(0, wordpiece_prefix_.size());
        } else if (k > 0) {
          t = " " + t;
        }
        out += t;
      }
      // The WordPiece decoder's clean-up of spaces before punctuation and contractions.
      static const std::pair<const char*, const char*> fixes[] = {
          {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
          {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
      for (const auto& [from, to] : fixes) {
        const std::string f = from;
        for (std::size_t p = out.find(f); p != std::string::npos; p = out.find(f, p + std::strlen(to)))
          out.replace(p, f.size(), to);
      }
      return out;
    }
    for (int id : ids) out += token_bytes(id);
    if (strip_first_space_ && !out.empty() && out[0] == ' ') out.erase(0, 1);
    return out;
  }

 private:


  // A stretch of text between added tokens, already normalised.
  void encode_segment(std::string_view seg, std::size_t offset, std::vector<int>& out) const {
    if (seg.empty()) return;
    std::vector<Piece> pieces;
    pieces.push_back({std::string(seg), offset});
    if (pieces[0].text.empty()) return;
    if (pre_) pre_(pieces);
    for (const Piece& p : pieces) model_->encode(p.text, out);
  }
};

HfBuildResult build(const Json& root, const fs::path& file) {
  const std::string where = file.string();
  const Json& m = root["model"];
  const std::string kind = m.contains("type") ? type_of(m) : "BPE";
  auto t = std::make_unique<HfTokenizer>();
  if (kind == "WordPiece") {
    auto wp = std::make_unique<WordPieceModel>(m, where);
    t->wordpiece_prefix_ = wp->prefix_;
    t->model_ = std::move(wp);
  } else if (kind == "BPE") {
    t->model_ = std::make_unique<BpeModel>(m, where);
  } else if (kind == "Unigram") {
    t->model_ = std::make_unique<UnigramModel>(m, where);
  } else if (kind == "WordLevel") {
    t->model_ = std::make_unique<WordLevelModel>(m, where);
  } else {
    throw NotImplemented{"tokenizer.json holds a " + kind + " model, which EmbedScope does not implement"};
  }
  try {
    t->normalizer_ = make_normalizer(root.value("normalizer", Json()));
    t->pre_ = make_pre_tokenizer(root.value("pre_tokenizer", Json()), t->meta_, kind);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());  // a broken step: name the file
  }
  // Pieces spell ' ' as the Metaspace character, or as whatever a Replace normaliser turns ' '
  // into (LLaMA 2's files: Prepend "▁" + Replace " " -> "▁").
  const std::function<void(const Json&)> scan_norm = [&](const Json& n) {
    const std::string nt = type_of(n);
    if (nt == "Sequence" && n.contains("normalizers") && n["normalizers"].is_array())
      for (const Json& x : n["normalizers"]) scan_norm(x);
    if (nt == "Replace" && n.contains("pattern") && n["pattern"].is_object() && n["pattern"].contains("String") &&
        n["pattern"]["String"] == " " && n.contains("content") && n["content"].is_string() && t->meta_.empty())
      t->meta_ = n["content"].get<std::string>();
    if (nt == "Prepend") t->strip_first_space_ = true;
  };
  scan_norm(root.value("normalizer", Json()));
  const std::function<void(const Json&)> scan_pre = [&](const Json& p) {
    const std::string pt = type_of(p);
    if (pt == "Sequence" && p.contains("pretokenizers") && p["pretokenizers"].is_array())
      for (const Json& x : p["pretokenizers"]) scan_pre(x);
    if (pt == "Metaspace" && metaspace_settings(p).prepend != MetaspaceSettings::Never) t->strip_first_space_ = true;
  };
  scan_pre(root.value("pre_tokenizer", Json()));
  t->wordpiece_decode_ = kind == "WordPiece";
  try {
    t->decoder_ = make_decoder(root.value("decoder", Json()));
  } catch (const NotImplemented&) {
    t->decoder_known_ = false;  // decode() falls back to the pieces' own text
  }

  const Json& added = root.value("added_tokens", Json());
  if (added.is_array()) {
    for (const Json& a : added) {
      if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
          !a["content"].is_string())
        throw Error(where + ": an added token needs an integer id and a content string");
      const long long id = a["id"].get<long long>();
      if (id < 0 || static_cast<std::size_t>(id) >= kMaxVocab) throw Error(where + ": an added token has id " + std::to_string(id));
      t->added_list_.push_back(added_token_of(a, static_cast<int>(id)));
    }
  }
  const Json& pp = root.value("post_processor", Json());
  const auto id_of = [&](std::string_view name) { return lookup(t->model_->vocab, name); };
  t->prefix_ids_ = post_processor_ids(pp, true, id_of, where);
  t->suffix_ids_ = post_processor_ids(pp, false, id_of, where);
  std::string desc = t->model_->kind;
  if (t->model_->byte_fallback) desc += " with byte fallback";
  t->name_ = desc + " (tokenizer.json)";
  t->finish();
  for (int id : t->prefix_ids_)
    if (id < 0 || id >= t->vocab_size_) throw Error(where + ": the post-processor adds id " + std::to_string(id) + ", outside the vocabulary");
  for (int id : t->suffix_ids_)
    if (id < 0 || id >= t->vocab_size_) throw Error(where + ": the post-processor adds id " + std::to_string(id) + ", outside the vocabulary");
  HfBuildResult r;
  r.tokenizer = std::move(t);
  return r;
}


}  // namespace

HfBuildResult build_hf_tokenizer(const nlohmann::json& root, const std::filesystem::path& file) {
  try {
    return build(root, file);
  } catch (const NotImplemented& n) {
    HfBuildResult r;
    r.unsupported = n.what + " (" + pipeline_of(root) + ")";
    return r;
  }
}

std::unique_ptr<Tokenizer> load_wordpiece_vocab(const std::filesystem::path& vocab_txt) {
  const std::string text = read_small_file(vocab_txt, "vocab.txt", std::uintmax_t{64} << 20);
  bool lower = true;
  const fs::path config = vocab_txt.parent_path() / "tokenizer_config.json";
  std::error_code ec;
  if (fs::is_regular_file(config, ec)) {
    try {
      const Json c = Json::parse(read_small_file(config, "tokenizer_config.json", std::uintmax_t{16} << 20));
      lower = flag(c, "do_lower_case", true);
    } catch (const Json::exception& e) {
      throw Error(config.string() + ": not valid JSON (" + std::string(e.what()) + ")");
    }
  }
  return parse_wordpiece_vocab(text, lower, vocab_txt);
}

std::unique_ptr<Tokenizer> parse_wordpiece_vocab(std::string_view text, bool lower, const std::filesystem::path& vocab_txt) {
  Json vocab = Json::object();
  std::size_t id = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line(text.substr(pos, end - pos));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = end + 1;
    if (line.empty() && pos >= text.size()) break;
    line = uni::sanitize_utf8(line);  // a JSON string must be UTF-8
    if (!vocab.contains(line)) vocab[line] = id;  // BertTokenizer: a repeated line keeps its first id
    if (++id > kMaxVocab) throw Error(vocab_txt.string() + ": more lines than any vocabulary has");
  }
  if (vocab.empty()) throw Error(vocab_txt.string() + ": the vocabulary is empty");
  if (!vocab.contains("[UNK]")) throw Error(vocab_txt.string() + ": no [UNK] token (is this a BERT vocab.txt?)");
  Json root;
  root["normalizer"] = {{"type", "BertNormalizer"}, {"clean_text", true}, {"handle_chinese_chars", true},
                        {"strip_accents", nullptr}, {"lowercase", lower}};
  root["pre_tokenizer"] = {{"type", "BertPreTokenizer"}};
  root["decoder"] = {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}};
  root["model"] = {{"type", "WordPiece"}, {"unk_token", "[UNK]"}, {"continuing_subword_prefix", "##"},
                   {"max_input_chars_per_word", 100}, {"vocab", vocab}};
  Json added = Json::array();
  for (const char* s : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"})
    if (vocab.contains(s)) added.push_back({{"id", vocab[s]}, {"content", s}, {"special", true}});
  root["added_tokens"] = added;
  if (vocab.contains("[CLS]") && vocab.contains("[SEP]"))
    root["post_processor"] = {{"type", "BertProcessing"},
                              {"cls", Json::array({"[CLS]", vocab["[CLS]"]})},
                              {"sep", Json::array({"[SEP]", vocab["[SEP]"]})}};
  HfBuildResult r = build_hf_tokenizer(root, vocab_txt);
  if (!r.tokenizer) throw Error(vocab_txt.string() + ": " + r.unsupported);
  auto* hf = static_cast<HfTokenizer*>(r.tokenizer.get());
  hf->name_ = std::string("WordPiece (vocab.txt, ") + (lower ? "uncased" : "cased") + ")";
  return std::move(r.tokenizer);
}

}  // namespace es
