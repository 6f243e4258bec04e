#include "file_text.h"

#include "types.h"

#include <fstream>

namespace es {

std::string read_small_file(const std::filesystem::path& path, const std::string& what, std::uintmax_t max_bytes) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error("cannot read the " + what + " file " + path.string() + ": it does not exist or is not a regular file");
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) throw Error("cannot read the " + what + " file " + path.string() + ": " + ec.message());
  if (size > max_bytes)
    throw Error("the " + what + " file " + path.string() + " is " + std::to_string(size >> 20) + " MB, too large to be a " +
                what + " file (at most " + std::to_string(max_bytes >> 20) + " MB)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open the " + what + " file " + path.string());
  std::string data(static_cast<std::size_t>(size), '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (static_cast<std::uintmax_t>(in.gcount()) != size)
    throw Error("could not read all of the " + what + " file " + path.string());
  return data;
}

}  // namespace es
