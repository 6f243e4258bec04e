#include "bpe_tokenizer.h"
#include "hf_tokenizer.h"
#include "added_vocab.h"
#include "hf_steps.h"
#include "unicode_text.h"
#include "file_text.h"
#include "json_excerpt.h"
#include "user_dirs.h"

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "bpe_merge.h"
#include "bpe_pretokenizer.h"
#include "types.h"

namespace es {

namespace {

constexpr std::string_view kEndOfText = "<|endoftext|>";
// Pieces longer than this use the O(n log n) merge; shorter ones GPT-2's own procedure.
constexpr std::size_t kNaiveMergeMaxBytes = 64;
// The piece -> ids cache is dropped when it grows past this many entries or pooled ids, so
// hostile input (a megabyte of distinct words) cannot make it grow without bound.
constexpr std::size_t kCacheMaxEntries = 1u << 18;
constexpr std::size_t kCacheMaxPoolIds = 1u << 22;
constexpr std::size_t kCacheMaxPieceBytes = 128;
// Per-thread scratch vectors larger than this are released after a call, so one huge input
// does not pin megabytes in every thread that ever tokenized.
constexpr std::size_t kKeepScratch = 1u << 16;

std::string show(std::string_view s) {
  std::string out = "\"";
  out += escape_token_text(s.substr(0, 60));
  if (s.size() > 60) out += "...";
  out += '"';
  return out;
}

// GPT-2's files are 1.0 MB and 0.46 MB; anything over 512 MB is not a tokenizer file.
std::string read_file(const std::filesystem::path& path, const char* what) {
  return read_small_file(path, what, std::uintmax_t{512} << 20);
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    // FNV-1a, 64-bit: pieces are short, so a simple byte loop is as fast as anything.
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return std::size_t(h);
  }
};

// What a tokenizer.json asks for besides its vocabulary and merges.
struct JsonSettings {
  std::string name;                    // shown in the model card
  std::optional<std::string> pattern;  // the split regex; nullopt: GPT-2's
  bool prefix_space = false;           // ByteLevel add_prefix_space
  // Any other pre-tokenizer before the byte mapping (several Split steps, Split with invert or
  // another behaviour, Digits, ...): run as the general pipeline runs it, then GPT-2's regex
  // on each piece when the ByteLevel step has use_regex.
  hf::PreTokenizer steps;
  bool regex_after_steps = false;
  bool ignore_merges = false;          // a word the vocabulary has is one token, merges or not
  TextNormalizer normalizer;           // runs between added tokens (Qwen2's NFC)
  std::vector<int> prefix_ids, suffix_ids;  // the post-processor's special tokens
};

class BpeTokenizer final : public Tokenizer {
 public:
  BpeTokenizer(const std::filesystem::path& vocab_json, const std::filesystem::path& merges)
      : name_("gpt2-bpe"), pretokenizer_(std::make_unique<bpe::Pretokenizer>()) {
    load_vocab(vocab_json);
    load_merges(merges);
    if (const auto it = ids_.find(kEndOfText); it != ids_.end()) {
      hf::AddedToken t;
      t.content = kEndOfText;
      t.id = it->second;
      t.special = true;
      added_list_.push_back(t);
      added_ = hf::AddedVocabulary(added_list_, nullptr);
    }
    mark_specials();
  }

  // From a parsed tokenizer.json: model.vocab, model.merges, added_tokens.
  BpeTokenizer(const std::filesystem::path& file, const nlohmann::json& model, const nlohmann::json& added,
               JsonSettings settings)
      : ignore_merges_(settings.ignore_merges),
        regex_after_steps_(settings.regex_after_steps),
        steps_(std::move(settings.steps)),
        normalizer_(std::move(settings.normalizer)),
        prefix_ids_(std::move(settings.prefix_ids)),
        suffix_ids_(std::move(settings.suffix_ids)),
        name_(std::move(settings.name)),
        prefix_space_(settings.prefix_space) {
    const std::string where = file.string() + " (model.vocab)";
    pretokenizer_ = settings.pattern ? std::make_unique<bpe::Pretokenizer>(*settings.pattern, file.string())
                                     : std::make_unique<bpe::Pretokenizer>();
    load_vocab_object(model["vocab"], where);
    const nlohmann::json& merges = model["merges"];
    if (!merges.is_array()) throw Error(file.string() + ": model.merges is not a list");
    std::uint32_t rank = 0;
    for (std::size_t i = 0; i < merges.size(); ++i) {
      const nlohmann::json& m = merges[i];
      const auto where_m = [&] { return file.string() + ", model.merges[" + std::to_string(i) + "]: "; };
      if (m.is_string()) {
        add_merge_line(m.get_ref<const std::string&>(), rank, where_m);
      } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
        add_merge(m[0].get_ref<const std::string&>(), m[1].get_ref<const std::string&>(), rank, where_m);
      } else {
        throw Error(where_m() + "expected \"a b\" or [\"a\", \"b\"], found " + json_excerpt(m));
      }
    }
    if (rank == 0) throw Error(file.string() + ": model.merges is empty");
    model_size_ = static_cast<int>(tokens_.size());
    load_added_tokens(file, added);
    added_ = hf::AddedVocabulary(added_list_, normalizer_);
    mark_specials();
    for (const std::vector<int>* v : {&prefix_ids_, &suffix_ids_})
      for (int id : *v)
        if (id < 0 || id >= vocab_size())
          throw Error(file.string() + ": the post-processor adds id " + std::to_string(id) + ", outside the vocabulary");
  }

  std::string name() const override { return name_; }
  bool is_special(int id) const override {
    return id >= 0 && static_cast<std::size_t>(id) < special_.size() && special_[static_cast<std::size_t>(id)];
  }
  int vocab_size() const override { return static_cast<int>(tokens_.size()); }

  // Added tokens as Hugging Face's library matches them (special ones only with
  // allow_special, which also adds the post-processor's tokens); the stretches between them
  // normalised, pre-tokenized and merged.
  std::vector<int> encode(std::string_view raw, bool allow_special) const override {
    // A normaliser needs valid UTF-8 (invalid bytes become U+FFFD, as before the library sees
    // text at all); without one, bytes go through as they are, every one of them kept.
    const std::string cleaned = normalizer_ ? uni::sanitize_utf8(raw) : std::string();
    const std::string_view text = normalizer_ ? std::string_view(cleaned) : raw;
    std::vector<int> out;
    out.reserve(text.size() / 3 + 4);
    if (allow_special) out = prefix_ids_;
    if (added_.empty() && !normalizer_) {
      encode_plain(text, 0, out);
    } else {
      added_.encode(text, allow_special, normalizer_,
                    [&](std::string_view seg, std::size_t offset) { encode_plain(seg, offset, out); }, out);
    }
    if (allow_special) out.insert(out.end(), suffix_ids_.begin(), suffix_ids_.end());
    return out;
  }

  std::string token_bytes(int id) const override {
    if (id < 0 || id >= vocab_size()) {
      throw Error("token id " + std::to_string(id) + " is outside this vocabulary (0.." +
                  std::to_string(vocab_size() - 1) + ")");
    }
    return tokens_[static_cast<std::size_t>(id)];
  }

  std::optional<int> find_token(std::string_view bytes) const override {
    const auto it = ids_.find(bytes);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }

  std::string decode(std::span<const int> ids) const override {
    std::string out;
    for (int id : ids) {
      if (id < 0 || id >= vocab_size()) token_bytes(id);  // throws the message
      out += tokens_[static_cast<std::size_t>(id)];
    }
    return out;
  }

 private:
  void load_vocab(const std::filesystem::path& path) {
    const std::string data = read_file(path, "vocabulary");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(data);
    } catch (const nlohmann::json::exception& e) {
      throw Error(path.string() + ": not valid JSON (" + json_parse_error(e) + ")");
    }
    load_vocab_object(j, path.string());
  }

  // `where` names the file (and the place in it) in messages.
  void load_vocab_object(const nlohmann::json& j, const std::string& where) {
    if (!j.is_object() || j.empty()) {
      throw Error(where + ": expected a JSON object mapping token strings to ids");
    }
    const std::size_t n = j.size();
    tokens_.assign(n, std::string());
    std::vector<char> seen(n, 0);
    std::string bytes;
    for (const auto& [key, value] : j.items()) {
      if (!value.is_number_integer()) {
        throw Error(where + ": token " + show(key) + " has id " +
                    // dump() recurses per nesting level (a 100,000-deep value overflowed the stack)
                    (value.is_structured() ? std::string("a JSON ") + value.type_name() : value.dump(-1).substr(0, 40)) +
                    ", which is not an integer");
      }
      const auto id = value.get<std::int64_t>();
      if (id < 0 || id >= static_cast<std::int64_t>(n)) {
        throw Error(where + ": token " + show(key) + " has id " + std::to_string(id) +
                    ", outside 0.." + std::to_string(n - 1) + " (the file has " +
                    std::to_string(n) + " tokens, so ids must be exactly 0..V-1)");
      }
      if (seen[id]) {
        throw Error(where + ": id " + std::to_string(id) + " is given to two tokens, " +
                     show(bpe::bytes_to_token_string(tokens_[id])) + " and " + show(key));
      }
      if (!bpe::token_string_to_bytes(key, bytes)) {
        throw Error(where + ": token " + show(key) +
                    " uses a character outside GPT-2's byte-to-unicode table, so it is not a "
                    "byte-level BPE vocabulary");
      }
      seen[id] = 1;
      tokens_[id] = bytes;
    }
    ids_.reserve(n);
    for (std::size_t id = 0; id < n; ++id) {
      if (!ids_.emplace(tokens_[id], static_cast<int>(id)).second) {
        throw Error(where + ": two tokens stand for the same bytes " +
                    show(tokens_[id]));
      }
    }
    for (int b = 0; b < 256; ++b) {
      const auto it = ids_.find(std::string(1, char(b)));
      if (it == ids_.end()) {
        throw Error(where + ": byte " + hex_byte(b) +
                    " has no token of its own; a byte-level BPE needs all 256");
      }
      byte_ids_[b] = it->second;
    }
  }

  // tokenizer.json's added_tokens: special tokens such as "<|endoftext|>" or "<|im_start|>",
  // matched whole in the text when allow_special is set. Ids past the vocabulary extend it
  // (Qwen2 and LLaMA 3 number them after model.vocab).
  void load_added_tokens(const std::filesystem::path& file, const nlohmann::json& added) {
    if (added.is_null()) return;
    if (!added.is_array()) throw Error(file.string() + ": added_tokens is not a list");
    for (std::size_t i = 0; i < added.size(); ++i) {
      const nlohmann::json& t = added[i];
      const auto where = [&] { return file.string() + ", added_tokens[" + std::to_string(i) + "]: "; };
      if (!t.is_object() || !t.contains("id") || !t.contains("content") || !t["id"].is_number_integer() ||
          !t["content"].is_string())
        throw Error(where() + "expected an object with an integer \"id\" and a string \"content\"");
      const std::int64_t id = t["id"].get<std::int64_t>();
      const std::string& content = t["content"].get_ref<const std::string&>();
      if (id < 0 || id >= (std::int64_t{1} << 24))
        throw Error(where() + "id " + std::to_string(id) + " is not a usable token id");
      if (content.empty()) throw Error(where() + "the token's content is empty");
      const auto u = static_cast<std::size_t>(id);
      if (u >= tokens_.size()) tokens_.resize(u + 1);  // ids between are unused: empty bytes
      if (tokens_[u].empty()) tokens_[u] = content;
      ids_.emplace(content, static_cast<int>(id));
      added_list_.push_back(hf::added_token_of(t, static_cast<int>(id)));
    }
  }

  void load_merges(const std::filesystem::path& path) {
    const std::string data = read_file(path, "merges");
    ranks_.reserve(tokens_.size());
    std::uint32_t rank = 0;
    std::size_t line_no = 0;
    for (std::size_t pos = 0; pos < data.size();) {
      std::size_t eol = data.find('\n', pos);
      if (eol == std::string::npos) eol = data.size();
      std::string_view line(data.data() + pos, eol - pos);
      pos = eol + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;
      if (line_no == 1 && line.starts_with("#version")) continue;
      const auto where = [&] { return path.string() + ", line " + std::to_string(line_no) + ": "; };
      add_merge_line(line, rank, where);
    }
    // No merges is right only for a vocabulary of single bytes (a byte-level model without
    // merges, as `embedscope-cli train --tokenizer bytes` writes); otherwise the file is cut.
    if (rank == 0)
      for (const std::string& t : tokens_)
        if (t.size() > 1)
          throw Error(path.string() + ": holds no merges, but the vocabulary has tokens of several bytes (" +
                      show(bpe::bytes_to_token_string(t)) + ")");
  }

  // A merge written as one line "a b" (merges.txt, or a string in tokenizer.json).
  template <class Where>
  void add_merge_line(std::string_view line, std::uint32_t& rank, const Where& where) {
    const std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 0 || sp + 1 == line.size() ||
        line.find(' ', sp + 1) != std::string_view::npos) {
      throw Error(where() + "expected two tokens separated by one space, found " + show(line));
    }
    add_merge(line.substr(0, sp), line.substr(sp + 1), rank, where);
  }

  // One merge "a b" (token strings in GPT-2's byte-to-unicode spelling) of the given rank.
  template <class Where>
  void add_merge(std::string_view a, std::string_view b, std::uint32_t& rank, const Where& where) {
    std::string left, right;
    const std::string line = std::string(a) + " " + std::string(b);
    if (!bpe::token_string_to_bytes(a, left) || !bpe::token_string_to_bytes(b, right))
      throw Error(where() + show(line) + " uses a character outside GPT-2's byte-to-unicode table");
    const auto l = ids_.find(left), r = ids_.find(right), m = ids_.find(left + right);
    if (l == ids_.end() || r == ids_.end()) {
      throw Error(where() + "the merge " + show(line) + " uses " +
                  show(bpe::bytes_to_token_string(l == ids_.end() ? left : right)) +
                  ", which is not in the vocabulary");
    }
    if (m == ids_.end()) {
      throw Error(where() + "the merge " + show(line) + " makes " +
                  show(bpe::bytes_to_token_string(left + right)) + ", which is not in the vocabulary");
    }
    ranks_.insert(l->second, r->second, rank++, m->second);  // a repeat keeps its first rank
  }

  static std::string hex_byte(int b) {
    static const char* digits = "0123456789ABCDEF";
    return std::string("0x") + digits[(b >> 4) & 15] + digits[b & 15];
  }

  void encode_piece(std::string_view piece, std::vector<int>& out) const {
    if (ignore_merges_) {
      // LLaMA 3: a piece the vocabulary holds is that token, even where the merges would not
      // build it.
      const auto it = ids_.find(piece);
      if (it != ids_.end() && it->second < model_size_) {
        out.push_back(it->second);
        return;
      }
    }
    if (piece.size() == 1) {
      out.push_back(byte_ids_[static_cast<unsigned char>(piece[0])]);
      return;
    }
    const bool cacheable = piece.size() <= kCacheMaxPieceBytes;
    if (cacheable) {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      const auto it = cache_.find(piece);
      if (it != cache_.end()) {
        const auto [offset, count] = it->second;
        out.insert(out.end(), cache_pool_.begin() + offset, cache_pool_.begin() + offset + count);
        return;
      }
    }
    thread_local std::vector<int> ids;
    ids.clear();
    for (unsigned char c : piece) ids.push_back(byte_ids_[c]);
    if (piece.size() <= kNaiveMergeMaxBytes) {
      bpe::merge_naive(ranks_, ids);
    } else {
      bpe::merge_heap(ranks_, ids);
    }
    out.insert(out.end(), ids.begin(), ids.end());
    if (!cacheable) {
      if (ids.capacity() > kKeepScratch) std::vector<int>().swap(ids);
      return;
    }
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() >= kCacheMaxEntries || cache_pool_.size() + ids.size() > kCacheMaxPoolIds) {
      cache_.clear();
      cache_pool_.clear();
    }
    const auto slot = std::pair<std::uint32_t, std::uint32_t>(
        static_cast<std::uint32_t>(cache_pool_.size()), static_cast<std::uint32_t>(ids.size()));
    if (cache_.emplace(std::string(piece), slot).second) {
      cache_pool_.insert(cache_pool_.end(), ids.begin(), ids.end());
    }
  }

  void mark_specials() {
    special_.assign(tokens_.size(), false);
    for (const hf::AddedToken& t : added_list_)
      if (t.special && static_cast<std::size_t>(t.id) < special_.size()) special_[static_cast<std::size_t>(t.id)] = true;
  }

  void encode_plain(std::string_view text, std::size_t offset, std::vector<int>& out) const {
    if (text.empty()) return;
    thread_local std::vector<std::string_view> pieces;
    pieces.clear();
    std::string prefixed;
    if (prefix_space_ && text.front() != ' ') {  // ByteLevel add_prefix_space (RoBERTa)
      prefixed = " " + std::string(text);
      text = prefixed;
    }
    if (steps_) {
      std::vector<hf::Piece> parts{{std::string(text), offset}};
      steps_(parts);
      for (const hf::Piece& p : parts) {
        if (!regex_after_steps_) {
          encode_piece(p.text, out);
          continue;
        }
        pieces.clear();
        pretokenizer_->split(p.text, pieces);
        for (std::string_view q : pieces) encode_piece(q, out);
      }
      return;
    }
    pretokenizer_->split(text, pieces);
    for (std::string_view p : pieces) encode_piece(p, out);
    if (pieces.capacity() > kKeepScratch) std::vector<std::string_view>().swap(pieces);
  }

  std::vector<std::string> tokens_;                                    // (V) id -> bytes
  std::unordered_map<std::string, int, StringHash, std::equal_to<>> ids_;  // bytes -> id
  int byte_ids_[256] = {};
  std::vector<hf::AddedToken> added_list_;  // tokenizer.json's added_tokens (GPT-2's files: <|endoftext|>)
  std::vector<bool> special_;               // by id: an added token marked special
  hf::AddedVocabulary added_;
  int model_size_ = 0;  // ids below this are the model's own vocabulary
  bool ignore_merges_ = false, regex_after_steps_ = false;
  hf::PreTokenizer steps_;
  TextNormalizer normalizer_;
  std::vector<int> prefix_ids_, suffix_ids_;
  std::string name_;
  bool prefix_space_ = false;
  bpe::PairRanks ranks_;
  std::unique_ptr<bpe::Pretokenizer> pretokenizer_;

  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::pair<std::uint32_t, std::uint32_t>, StringHash,
                             std::equal_to<>>
      cache_;                               // piece -> (offset, count) in cache_pool_
  mutable std::vector<int> cache_pool_;
};

}  // namespace

std::unique_ptr<Tokenizer> load_bpe_tokenizer(const std::filesystem::path& vocab_json,
                                              const std::filesystem::path& merges) {
  return std::make_unique<BpeTokenizer>(vocab_json, merges);
}

namespace {

std::string json_type_of(const nlohmann::json& j) {
  if (j.is_object() && j.contains("type") && j["type"].is_string()) return j["type"].get<std::string>();
  return j.is_null() ? "none" : "an untyped " + std::string(j.type_name());
}

bool json_flag(const nlohmann::json& j, const char* key, bool fallback) {
  if (!j.is_object() || !j.contains(key)) return fallback;
  return j[key].is_boolean() ? j[key].get<bool>() : fallback;
}

}  // namespace

// Pre-tokenizer layouts of byte-level BPE: ByteLevel with its own regex (GPT-2, Pythia), one
// Split regex then a ByteLevel that only maps bytes (Qwen2, LLaMA 3, BLOOM) — both on the fast
// path of bpe_pretokenizer — or any other steps the general pipeline implements before a final
// ByteLevel (DeepSeek V3's three Splits, gpt-4o's Split with invert, Digits, ...). False when
// the ByteLevel step is missing, repeated or not last; `described` names the steps.
static bool byte_level_layout(const nlohmann::json& pre, JsonSettings& settings, std::string& described,
                              bool& any_byte_level) {
  std::vector<nlohmann::json> steps;
  if (json_type_of(pre) == "Sequence" && pre.contains("pretokenizers") && pre["pretokenizers"].is_array()) {
    for (const nlohmann::json& p : pre["pretokenizers"]) steps.push_back(p);
  } else if (json_type_of(pre) != "none") {
    steps.push_back(pre);
  }
  int byte_levels = 0;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const std::string t = json_type_of(steps[i]);
    described += (i ? ", " : "") + t;
    byte_levels += t == "ByteLevel";
  }
  any_byte_level = byte_levels > 0;
  if (byte_levels != 1 || json_type_of(steps.back()) != "ByteLevel") return false;
  const nlohmann::json& bl = steps.back();
  settings.prefix_space = json_flag(bl, "add_prefix_space", false);
  const bool use_regex = json_flag(bl, "use_regex", true);
  steps.pop_back();
  if (steps.empty()) {
    // GPT-2's own regex, or no split at all (each stretch of text one piece).
    if (!use_regex) settings.steps = [](std::vector<hf::Piece>&) {};
    return true;
  }
  const nlohmann::json& p = steps[0];
  if (steps.size() == 1 && !use_regex && json_type_of(p) == "Split" && p.contains("pattern") && p["pattern"].is_object() &&
      p["pattern"].contains("Regex") && p["pattern"]["Regex"].is_string() && p.contains("behavior") &&
      p["behavior"] == "Isolated" && !json_flag(p, "invert", false)) {
    settings.pattern = p["pattern"]["Regex"].get<std::string>();
    return true;
  }
  std::string meta;
  try {
    settings.steps = hf::make_pre_tokenizer(nlohmann::json{{"type", "Sequence"}, {"pretokenizers", steps}}, meta, "byte-level BPE");
  } catch (const Error& e) {
    throw Error("the pre-tokenizer (" + described + "): " + e.what());
  }
  settings.regex_after_steps = use_regex;
  return true;
}

static TokenizerJsonResult parse_tokenizer_json_checked(std::string_view data, const std::filesystem::path& file) {
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(data);
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": not valid JSON (" + json_parse_error(e) + ")");
  }
  if (!root.is_object() || !root.contains("model") || !root["model"].is_object())
    throw Error(file.string() + ": expected an object with a \"model\" object (a Hugging Face tokenizer.json)");
  TokenizerJsonResult result;
  const nlohmann::json& model = root["model"];
  const std::string kind = model.contains("type") ? json_type_of(model) : "BPE";
  // Everything but byte-level BPE (WordPiece, Unigram, BPE with byte fallback or on
  // characters) is the general pipeline of hf_tokenizer.cpp.
  const auto general = [&] {
    HfBuildResult h = build_hf_tokenizer(root, file);
    result.tokenizer = std::move(h.tokenizer);
    result.unsupported = std::move(h.unsupported);
    return std::move(result);
  };
  if (kind != "BPE" || json_flag(model, "byte_fallback", false)) return general();
  if (!model.contains("vocab") || !model.contains("merges"))
    throw Error(file.string() + ": model has no vocab or no merges");

  JsonSettings settings;
  settings.name = "byte-level BPE (tokenizer.json)";
  std::string described;  // the pre-tokenizer steps, for a message
  bool any_byte_level = false;
  try {
    bool byte_level = false;
    try {
      byte_level = byte_level_layout(root.value("pre_tokenizer", nlohmann::json()), settings, described, any_byte_level);
    } catch (const Error& e) {
      throw Error(file.string() + ": " + e.what());  // a broken step: name the file
    }
    if (!byte_level) {
      if (!any_byte_level) return general();  // BPE on characters (Metaspace, Whitespace, none)
      result.unsupported = "tokenizer.json's pre-tokenizer (" + described +
                           ") has its ByteLevel step other than once at the end, which EmbedScope does not implement (" +
                           hf::pipeline_of(root) + ")";
      return result;
    }
    // A normaliser (Qwen2's NFC) runs on the text between added tokens, before the BPE.
    const nlohmann::json norm = root.value("normalizer", nlohmann::json());
    if (json_type_of(norm) != "none") {
      try {
        settings.normalizer = hf::make_normalizer(norm);
      } catch (const Error& e) {
        throw Error(file.string() + ": " + e.what());  // a broken normaliser: name the file
      }
      settings.name += ", " + json_type_of(norm) + " first";
    }
    settings.ignore_merges = json_flag(model, "ignore_merges", false);
    // The post-processor's special tokens (LLaMA 3.1: Sequence[ByteLevel, TemplateProcessing]).
    const nlohmann::json& added = root.value("added_tokens", nlohmann::json());
    const auto id_of = [&](std::string_view name) -> int {
      if (added.is_array())
        for (const nlohmann::json& a : added)
          if (a.is_object() && a.contains("content") && a["content"] == name && a.contains("id") && a["id"].is_number_integer())
            return a["id"].get<int>();
      const std::string spelled = bpe::bytes_to_token_string(std::string(name));
      if (model["vocab"].is_object() && model["vocab"].contains(spelled) && model["vocab"][spelled].is_number_integer())
        return model["vocab"][spelled].get<int>();
      return -1;
    };
    const nlohmann::json& pp = root.value("post_processor", nlohmann::json());
    settings.prefix_ids = hf::post_processor_ids(pp, true, id_of, file.string());
    settings.suffix_ids = hf::post_processor_ids(pp, false, id_of, file.string());
  } catch (const hf::NotImplemented& n) {
    result.unsupported = n.what + " (" + hf::pipeline_of(root) + ")";
    return result;
  }
  try {
    result.tokenizer = std::make_unique<BpeTokenizer>(file, model, root.value("added_tokens", nlohmann::json()),
                                                      std::move(settings));
  } catch (const Error& e) {
    // A split pattern PCRE2 cannot take is a limit of ours, not a broken file.
    const std::string what = e.what();
    if (what.find("split pattern") == std::string::npos) throw;
    result.unsupported = what;
  }
  return result;
}

TokenizerJsonResult load_tokenizer_json(const std::filesystem::path& file) {
  return parse_tokenizer_json(read_file(file, "tokenizer.json"), file);
}

TokenizerJsonResult parse_tokenizer_json(std::string_view data, const std::filesystem::path& file) {
  try {
    return parse_tokenizer_json_checked(data, file);
  } catch (const nlohmann::json::exception& e) {
    // A value of an unexpected type that no check above caught (found by fuzzing: a
    // "behavior" that was not a string): still one clear message, never a crash.
    throw Error(file.string() + ": a value has the wrong type (" + json_parse_error(e) + ")");
  }
}

bool has_bpe_tokenizer_files(const std::filesystem::path& dir) {
  std::error_code ec;
  const auto file = [&](const char* name) { return std::filesystem::is_regular_file(dir / name, ec); };
  return (file("vocab.json") && file("merges.txt")) || (file("encoder.json") && file("vocab.bpe"));
}

std::unique_ptr<Tokenizer> load_bpe_tokenizer_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  const auto file = [&](const char* name) { return std::filesystem::is_regular_file(dir / name, ec); };
  if (file("vocab.json") && file("merges.txt")) {
    return load_bpe_tokenizer(dir / "vocab.json", dir / "merges.txt");
  }
  if (file("encoder.json") && file("vocab.bpe")) {
    return load_bpe_tokenizer(dir / "encoder.json", dir / "vocab.bpe");
  }
  throw Error("no BPE tokenizer files in " + dir.string() +
              ": expected vocab.json + merges.txt or encoder.json + vocab.bpe");
}

std::filesystem::path default_gpt2_tokenizer_dir() {
  if (const char* d = std::getenv("EMBEDSCOPE_TOKENIZER_DIR"); d && *d) return d;
  std::filesystem::path cache;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) {
    cache = x;
  } else {
    cache = home_dir() / ".cache";
  }
  return cache / "embedscope" / "gpt2-tokenizer";
}

std::shared_ptr<const Tokenizer> default_gpt2_tokenizer() {
  // Loaded once and shared; a failure is not remembered, so fetching the files and asking
  // again works without a restart.
  static std::mutex mutex;
  static std::shared_ptr<const Tokenizer> cached;
  std::lock_guard<std::mutex> lock(mutex);
  if (cached) return cached;
  const std::filesystem::path dir = default_gpt2_tokenizer_dir();
  if (!has_bpe_tokenizer_files(dir)) {
    throw Error("GPT-2's tokenizer files (encoder.json + vocab.bpe) are not in " + dir.string() +
                ". Run `make run` (or scripts/fetch_tokenizer.sh) to fetch them, or set "
                "EMBEDSCOPE_TOKENIZER_DIR to a folder that holds them.");
  }
  cached = load_bpe_tokenizer_dir(dir);
  return cached;
}

}  // namespace es
