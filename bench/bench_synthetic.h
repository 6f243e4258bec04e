// Deterministic inputs for embedscope-bench: a GPT-2-sized checkpoint and 1 MB of mixed
// English text.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace es::bench {

// Writes <dir>/model.safetensors (F32: wte.weight (50257, 768), wpe.weight (1024, 768), and
// ln_1 of block 0) and <dir>/config.json (model_type gpt2). The token table has a decaying
// spectrum (a rank-64 part plus anisotropic noise, a common offset) so the PCA has structure;
// the position table is smooth sinusoids plus noise, like GPT-2's helix. Returns the file
// size in bytes.
uint64_t write_synthetic_gpt2(const std::filesystem::path& dir, uint64_t seed = 2024);

// `bytes` bytes (cut at a UTF-8 boundary) of English-like prose with capitals, contractions,
// numbers, punctuation, code, newlines and some non-ASCII words, from a fixed seed.
std::string mixed_english(std::size_t bytes, uint64_t seed = 7);

}  // namespace es::bench
