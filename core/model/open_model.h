// Opening a model by what the user typed: a built-in one, a checkpoint file or folder, or a
// name in the Hugging Face cache. (Here, not in model_source.h: it needs checkpoints, which
// build on model sources.)
#pragma once

#include "model_source.h"

#include <memory>
#include <string>

namespace es {

// "classroom[:V=..,L=..,d=..,seed=..]", "gpt2-untrained[:seed=..]", a safetensors file or
// folder path, or a Hugging Face cache name ("gpt2", "openai-community/gpt2"). Throws
// es::Error with the reason.
std::unique_ptr<ModelSource> open_model(const std::string& spec);

}  // namespace es
