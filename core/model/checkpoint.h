// Real checkpoints: safetensors files and model folders (see safetensors.h for the format),
// and the Hugging Face cache.
#pragma once

#include "model_source.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace es {

// Opens a .safetensors file, a folder with model.safetensors (or a sharded index), or a
// Hugging Face snapshot folder. config.json and the tokenizer are read from beside the
// weights when present. Throws es::Error naming the file, the tensor and the reason.
std::unique_ptr<ModelSource> open_checkpoint(const std::filesystem::path& path);

struct CachedModel {
  std::string name;                 // "openai-community/gpt2"
  std::filesystem::path snapshot;   // .../models--openai-community--gpt2/snapshots/<rev>
  uint64_t size_bytes = 0;          // weights on disk
  std::string family;               // from config.json "model_type", or "" if unknown
  std::string scheme;               // "learned", "rope", ...
};
// $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub.
std::filesystem::path hf_hub_cache_dir();
std::vector<CachedModel> list_cached_models();
// "gpt2" or "openai-community/gpt2" -> its newest snapshot folder, if cached.
// The snapshot named by refs/main wins; else the most recently modified one. A name without
// an organisation matches models--NAME first, then models--ORG--NAME when only one ORG has it
// (several: es::Error listing them). Names with "..", or path separators beyond the one "/",
// are never looked up.
std::optional<std::filesystem::path> find_cached_model(const std::string& name);

// The size on disk of the safetensors weights in a folder (symlinks into blobs followed).
uint64_t safetensors_size_in(const std::filesystem::path& dir);


}  // namespace es
