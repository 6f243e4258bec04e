// open_model(): built-in models, checkpoint files and folders, and cached hub names.
#include "open_model.h"

#include "checkpoint.h"
#include "hf_cache.h"

#include <filesystem>
#include <sstream>
#include <utility>
#include <vector>

namespace es {

namespace {

// "key=value,key=value" after a "name:" prefix.
std::vector<std::pair<std::string, std::string>> parse_options(const std::string& spec,
                                                               const std::string& what) {
  std::vector<std::pair<std::string, std::string>> out;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error("model option '" + item + "' of " + what + " is not key=value");
    out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return out;
}

long long parse_int_option(const std::string& key, const std::string& value, long long lo,
                           long long hi) {
  try {
    std::size_t used = 0;
    const long long v = std::stoll(value, &used);
    if (used != value.size() || v < lo || v > hi) throw std::out_of_range("range");
    return v;
  } catch (const std::exception&) {
    throw Error("model option " + key + " must be a whole number from " + std::to_string(lo) +
                " to " + std::to_string(hi) + " (got '" + value + "')");
  }
}

}  // namespace

std::unique_ptr<ModelSource> open_model(const std::string& spec) {
  if (spec.empty()) throw Error("no model given: use classroom, gpt2-untrained, or a path");
  const std::string head = spec.substr(0, spec.find(':'));
  const std::string rest = spec.find(':') == std::string::npos ? "" : spec.substr(spec.find(':') + 1);
  if (head == "classroom") {
    ClassroomOptions o;
    for (const auto& [k, v] : parse_options(rest, "classroom")) {
      if (k == "V" || k == "v" || k == "vocab") o.vocab = static_cast<int>(parse_int_option(k, v, 2, 1000));
      else if (k == "L" || k == "l" || k == "max_len") o.max_len = static_cast<int>(parse_int_option(k, v, 1, 4096));
      else if (k == "d" || k == "dim") o.dim = static_cast<int>(parse_int_option(k, v, 1, 1024));
      else if (k == "seed") o.seed = static_cast<uint64_t>(parse_int_option(k, v, 0, 1LL << 62));
      else throw Error("unknown classroom option '" + k + "' (known: V, L, d, seed)");
    }
    return make_classroom_model(o);
  }
  if (head == "gpt2-untrained") {
    uint64_t seed = 1234;
    for (const auto& [k, v] : parse_options(rest, "gpt2-untrained")) {
      if (k == "seed") seed = static_cast<uint64_t>(parse_int_option(k, v, 0, 1LL << 62));
      else throw Error("unknown gpt2-untrained option '" + k + "' (known: seed)");
    }
    return make_gpt2_untrained_model(seed);
  }
  std::error_code ec;
  const std::filesystem::path path(spec);
  if (std::filesystem::exists(path, ec)) return open_checkpoint(path);
  if (const std::optional<std::filesystem::path> cached = find_cached_model(spec))
    return open_checkpoint(*cached);
  // A spec that is a path the user typed (not a hub name like "org/name"): say plainly that
  // nothing is there.
  const bool file_name = spec.ends_with(".safetensors") || spec.ends_with(".json");
  const std::size_t slash = spec.find('/');
  const bool hub_name = slash != std::string::npos && slash > 0 && slash == spec.rfind('/') && spec[0] != '.' &&
                        spec[0] != '~' && !file_name;
  if (file_name || (slash != std::string::npos && !hub_name))
    throw Error("'" + spec + "' is not a model: no such file or folder");
  throw Error("'" + spec + "' is not a model: expected classroom, gpt2-untrained, a safetensors "
              "file or folder, or a model name found in the Hugging Face cache (" +
              hf_hub_cache_dir().string() + ")");
}

}  // namespace es
