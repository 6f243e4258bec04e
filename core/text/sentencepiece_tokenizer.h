// SentencePiece models (tokenizer.model: LLaMA 2, Mistral, Gemma; spiece.model: T5) through
// Debian's libsentencepiece, so the model's own settings apply exactly as its authors trained
// them: its normaliser (nmt_nfkc for T5, identity for LLaMA), add_dummy_prefix, whitespace
// handling, byte fallback (<0xNN> pieces), and its BPE or Unigram segmentation.
//
// Special tokens: with allow_special, control pieces written in the text (<s>, </s>) become
// their ids, and the model's begin/end tokens are added: BOS when the model has one (LLaMA,
// Mistral, Gemma), else EOS (T5), unless a tokenizer_config.json beside the model says
// otherwise (add_bos_token / add_eos_token).
#pragma once

#include "tokenizer.h"

namespace es {

// Throws es::Error naming the file when it is not a SentencePiece model.
std::unique_ptr<Tokenizer> load_sentencepiece(const std::filesystem::path& model_file);
// The same from the file's bytes (`file` only names it in messages).
std::unique_ptr<Tokenizer> parse_sentencepiece(std::string_view bytes, const std::filesystem::path& file);

}  // namespace es
