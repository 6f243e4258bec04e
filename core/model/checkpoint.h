// Real checkpoints: safetensors files and model folders (see safetensors.h for the format),
// (the Hugging Face cache itself: hf_cache.h).
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

// The size on disk of the safetensors weights in a folder (symlinks into blobs followed).
uint64_t safetensors_size_in(const std::filesystem::path& dir);


}  // namespace es
