#include "sentencepiece_tokenizer.h"

#include <nlohmann/json.hpp>
#include <sentencepiece_processor.h>
#include <unordered_map>

#include "file_text.h"
#include "types.h"
#include "unicode_text.h"

namespace es {

namespace {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  SentencePieceTokenizer(std::string_view bytes, const std::filesystem::path& file) {
    sentencepiece::util::Status status;
    try {
      status = sp_.LoadFromSerializedProto(std::string_view(bytes.data(), bytes.size()));
    } catch (const std::exception& e) {
      // The library's trie builder throws on some broken piece lists (found by fuzzing).
      throw Error(file.string() + ": not a SentencePiece model (" + e.what() + ")");
    }
    if (!status.ok())
      throw Error(file.string() + ": not a SentencePiece model (" + std::string(status.message()) + ")");
    size_ = sp_.GetPieceSize();
    if (size_ <= 0) throw Error(file.string() + ": the SentencePiece model has no pieces");
    bytes_.resize(static_cast<std::size_t>(size_));
    for (int id = 0; id < size_; ++id) {
      const std::string piece = sp_.IdToPiece(id);
      std::string b;
      if (sp_.IsByte(id) && piece.size() == 6) {
        b = std::string(1, static_cast<char>(std::stoi(piece.substr(3, 2), nullptr, 16)));
      } else if (sp_.IsControl(id) || sp_.IsUnknown(id)) {
        b = piece;
        if (sp_.IsControl(id) && !piece.empty()) controls_.emplace_back(piece, id);
      } else {
        for (std::size_t k = 0; k < piece.size();) {
          if (piece.compare(k, 3, "\xE2\x96\x81") == 0) {
            b += ' ';
            k += 3;
          } else {
            b += piece[k++];
          }
        }
      }
      by_bytes_.emplace(b, id);
      bytes_[static_cast<std::size_t>(id)] = std::move(b);
    }
    std::sort(controls_.begin(), controls_.end(),
              [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    add_bos_ = sp_.bos_id() >= 0;
    add_eos_ = !add_bos_ && sp_.eos_id() >= 0;
    const std::filesystem::path config = file.parent_path() / "tokenizer_config.json";
    std::error_code ec;
    if (!file.empty() && std::filesystem::is_regular_file(config, ec)) {
      try {
        const nlohmann::json c = nlohmann::json::parse(read_small_file(config, "tokenizer_config.json", std::uintmax_t{16} << 20));
        if (c.is_object() && c.contains("add_bos_token") && c["add_bos_token"].is_boolean())
          add_bos_ = c["add_bos_token"].get<bool>() && sp_.bos_id() >= 0;
        if (c.is_object() && c.contains("add_eos_token") && c["add_eos_token"].is_boolean())
          add_eos_ = c["add_eos_token"].get<bool>() && sp_.eos_id() >= 0;
      } catch (const nlohmann::json::exception&) {
        // A broken tokenizer_config.json only loses the override; the model's own ids remain.
      }
    }
    name_ = "SentencePiece (" + file.filename().string() + ")";
  }

  std::string name() const override { return name_; }
  int vocab_size() const override { return size_; }
  bool is_special(int id) const override { return id >= 0 && id < size_ && (sp_.IsControl(id) || sp_.IsUnknown(id)); }

  std::vector<int> encode(std::string_view raw, bool allow_special) const override {
    const std::string text = uni::sanitize_utf8(raw);
    std::vector<int> out;
    if (allow_special && add_bos_) out.push_back(sp_.bos_id());
    std::size_t seg = 0;
    if (allow_special) {
      for (std::size_t i = 0; i < text.size();) {
        const std::pair<std::string, int>* hit = nullptr;
        for (const auto& c : controls_)
          if (text.compare(i, c.first.size(), c.first) == 0) {
            hit = &c;
            break;
          }
        if (!hit) {
          ++i;
          continue;
        }
        piece(std::string_view(text).substr(seg, i - seg), out);
        out.push_back(hit->second);
        seg = i = i + hit->first.size();
      }
    }
    piece(std::string_view(text).substr(seg), out);
    if (allow_special && add_eos_) out.push_back(sp_.eos_id());
    return out;
  }

  std::string token_bytes(int id) const override {
    if (id < 0 || id >= size_)
      throw Error("token id " + std::to_string(id) + " is outside the vocabulary (0.." + std::to_string(size_ - 1) + ")");
    return bytes_[static_cast<std::size_t>(id)];
  }
  std::optional<int> find_token(std::string_view bytes) const override {
    const auto it = by_bytes_.find(std::string(bytes));
    if (it == by_bytes_.end()) return std::nullopt;
    return it->second;
  }
  std::string decode(std::span<const int> ids) const override {
    for (int id : ids) token_bytes(id);  // range check
    std::string out;
    const auto status = sp_.Decode(std::vector<int>(ids.begin(), ids.end()), &out);
    if (!status.ok()) throw Error("SentencePiece could not decode: " + std::string(status.message()));
    return out;
  }

 private:
  void piece(std::string_view text, std::vector<int>& out) const {
    if (text.empty()) return;
    std::vector<int> ids;
    const auto status = sp_.Encode(text, &ids);
    if (!status.ok()) throw Error("SentencePiece could not encode the text: " + std::string(status.message()));
    out.insert(out.end(), ids.begin(), ids.end());
  }

  sentencepiece::SentencePieceProcessor sp_;
  int size_ = 0;
  std::vector<std::string> bytes_;
  std::unordered_map<std::string, int> by_bytes_;
  std::vector<std::pair<std::string, int>> controls_;
  bool add_bos_ = false, add_eos_ = false;
  std::string name_;
};

}  // namespace

std::unique_ptr<Tokenizer> parse_sentencepiece(std::string_view bytes, const std::filesystem::path& file) {
  return std::make_unique<SentencePieceTokenizer>(bytes, file);
}

std::unique_ptr<Tokenizer> load_sentencepiece(const std::filesystem::path& model_file) {
  return parse_sentencepiece(read_small_file(model_file, "SentencePiece model", std::uintmax_t{256} << 20), model_file);
}

}  // namespace es
