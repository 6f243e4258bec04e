// Internal to the tokenizer.json reader (hf_tokenizer.cpp): the pipeline's text steps, built
// from their JSON. Not a public header of core.
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "hf_tokenizer.h"

namespace es::hf {

// Thrown while building for a component we do not implement; becomes HfBuildResult::unsupported.
struct NotImplemented {
  std::string what;
};

constexpr std::string_view kMetaspace = "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK

std::string type_of(const nlohmann::json& j);  // "type" of a step, "none" for null
bool flag(const nlohmann::json& j, const char* key, bool fallback);
std::string text_of(const nlohmann::json& j, const char* key, const std::string& fallback);

// A normalizer step (null json: nullptr). Throws es::Error for a broken one, NotImplemented.
TextNormalizer make_normalizer(const nlohmann::json& j);

struct Piece {
  std::string text;
  std::size_t offset;  // where it starts in the text it came from (0: the very start)
};
using PreTokenizer = std::function<void(std::vector<Piece>&)>;

struct MetaspaceSettings {
  std::string replacement{kMetaspace};
  enum { Always, First, Never } prepend = Always;
  bool split = true;
};
MetaspaceSettings metaspace_settings(const nlohmann::json& j);

// A pre-tokenizer step (null json: nullptr). `meta_out` gets the Metaspace character when there
// is one; `kind` (the model type) names it in messages.
PreTokenizer make_pre_tokenizer(const nlohmann::json& j, std::string& meta_out, const std::string& kind);

// The special tokens a post-processor puts before (prefix) or after the single sequence:
// TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel (none), Sequence of them.
// `id_of` finds a template token the file gives no ids for (-1: none). NotImplemented for
// another kind; es::Error (naming `where`) for a broken one.
std::vector<int> post_processor_ids(const nlohmann::json& pp, bool prefix,
                                    const std::function<int(std::string_view)>& id_of, const std::string& where);

// A byte-fallback piece "<0xNN>" -> NN (both hex digits required), else -1.
int byte_of_piece(std::string_view piece);

// A decoder step on the token strings of a decode (the library's decode_chain): ByteFallback,
// Fuse, Replace, Strip, Metaspace, WordPiece, BPEDecoder, Sequence. Null json: nullptr (the
// caller joins the tokens with spaces, as the library does without a decoder).
// NotImplemented for another kind (ByteLevel outside byte-level BPE, CTC).
using Decoder = std::function<void(std::vector<std::string>&)>;
Decoder make_decoder(const nlohmann::json& j);

// The whole pipeline of a tokenizer.json in a line ("normalizer NFC, pre-tokenizer
// Sequence[Split, ByteLevel], model BPE, ..."), for a message that refuses one part of it.
std::string pipeline_of(const nlohmann::json& root);

}  // namespace es::hf
