// The one reader of small whole files (config.json, tokenizer files, shard indexes): refuses
// what is not a regular file (a folder, a named pipe that would block) and anything larger than
// the caller's cap, with a message naming the file and what it was meant to be.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace es {

// `what` names the file's role in messages ("config", "vocabulary", "shard index").
std::string read_small_file(const std::filesystem::path& path, const std::string& what, std::uintmax_t max_bytes);

// A size in bytes for people, in decimal units as the Hugging Face hub writes them: "224 bytes",
// "4.4 kB", "551.0 MB", "1.13 GB". (Rates too: format_bytes(rate) + "/s".)
std::string format_bytes(std::uint64_t bytes);

}  // namespace es
