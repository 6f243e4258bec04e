#include "file_text.h"

#include <cstdio>

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

std::string format_bytes(std::uint64_t b) {
  char buf[32];
  const double v = static_cast<double>(b);
  if (b >= 1'000'000'000)
    std::snprintf(buf, sizeof buf, "%.2f GB", v / 1e9);
  else if (b >= 1'000'000)
    std::snprintf(buf, sizeof buf, "%.1f MB", v / 1e6);
  else if (b >= 1'000)
    std::snprintf(buf, sizeof buf, "%.1f kB", v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(b));
  return buf;
}

}  // namespace es
