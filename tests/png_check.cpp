// png_check: the image checks of tests/program_desktop.sh, one per line on stdin, each
// screenshot decoded once (stb_image, Debian's libstb). It replaced a pure-Python PNG reader
// that took 36 s of the test's time per build.
//   png_check DIR <checks.txt
//   info NAME              size 1280x800 and at least 40 distinct colours
//   diff A B               A and B differ in more than 1% of pixels
//   same A B               A and B are the same picture (no pixel differs)
//   colour NAME RRGGBB N   NAME has at least N pixels of that colour
//   saturated NAME N       at least N strongly coloured pixels (max - min channel > 100)
//   marks YES NO RRGGBB    YES has >= 1000 pixels of the colour and 5x more than NO
//   grid NAME X Y W H C R  the heatmap in that box has a grid line (each channel 0.765 of a
//                          neighbour's: black at alpha 60 over the cell) at C - 1 columns
//                          and R - 1 rows, no more, no fewer
// Prints "ok: ..." or "FAIL: ..." per line; exit status 0 (the script counts the FAILs).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

#include <stb_image.h>

namespace {

struct Image {
  int w = 0, h = 0;
  std::vector<unsigned> px;  // 0xRRGGBB per pixel
};

std::string g_dir;
std::map<std::string, Image> g_cache;

const Image& load(const std::string& name) {
  auto it = g_cache.find(name);
  if (it != g_cache.end()) return it->second;
  const std::string path = g_dir + "/" + name + ".png";
  int w = 0, h = 0, n = 0;
  unsigned char* data = stbi_load(path.c_str(), &w, &h, &n, 3);
  if (!data) throw std::runtime_error("cannot read " + path + ": " + stbi_failure_reason());
  Image img;
  img.w = w;
  img.h = h;
  img.px.resize(static_cast<std::size_t>(w) * h);
  for (std::size_t i = 0; i < img.px.size(); ++i)
    img.px[i] = (unsigned{data[3 * i]} << 16) | (unsigned{data[3 * i + 1]} << 8) | data[3 * i + 2];
  stbi_image_free(data);
  return g_cache.emplace(name, std::move(img)).first->second;
}

unsigned hex_colour(const std::string& s) {
  if (s.size() != 6) throw std::runtime_error("colour '" + s + "' is not RRGGBB");
  return static_cast<unsigned>(std::stoul(s, nullptr, 16));
}

// Pixels that differ between two pictures of one size; -1 for pictures of different sizes.
long differing_pixels(const Image& a, const Image& b) {
  if (a.w != b.w || a.h != b.h) return -1;
  long differ = 0;
  for (std::size_t i = 0; i < a.px.size(); ++i) differ += a.px[i] != b.px[i];
  return differ;
}

long count_colour(const Image& img, unsigned c) {
  long k = 0;
  for (unsigned p : img.px) k += p == c;
  return k;
}

// Lines of a heatmap's grid in the box [x0, x1) x [y0, y1): positions along one axis where,
// on most of the lines across, the pixel is 60/255 darker than one beside it (a grid line is one
// pixel at each boundary between cells). `vertical`: lines are columns.
int grid_lines(const Image& img, int x0, int y0, int x1, int y1, bool vertical) {
  const auto at = [&](int x, int y) { return img.px[static_cast<std::size_t>(y) * img.w + x]; };
  const auto darker = [](unsigned a, unsigned b) {  // a = b * (1 - 60/255), channel by channel
    int used = 0;
    for (int sh : {16, 8, 0}) {
      const double va = (a >> sh) & 255, vb = (b >> sh) & 255;
      if (vb < 40) continue;
      if (va / vb < 0.72 || va / vb > 0.81) return -1;
      ++used;
    }
    return used > 0 ? 1 : 0;
  };
  int lines = 0;
  const int n = vertical ? x1 - x0 : y1 - y0, m = vertical ? y1 - y0 : x1 - x0;
  for (int i = 1; i + 1 < n; ++i) {
    int yes = 0, seen = 0;
    for (int j = 0; j < m; ++j) {
      const int x = vertical ? x0 + i : x0 + j, y = vertical ? y0 + j : y0 + i;
      // The image is drawn at whole pixels of the screen, so a line lies on the first pixel of
      // a cell or on the last of the one before it: darker than the pixel on either side.
      const int next = darker(at(x, y), vertical ? at(x + 1, y) : at(x, y + 1));
      const int prev = darker(at(x, y), vertical ? at(x - 1, y) : at(x, y - 1));
      const int d = next > 0 || prev > 0 ? 1 : next < 0 || prev < 0 ? -1 : 0;
      if (d == 0) continue;
      ++seen;
      yes += d > 0;
    }
    lines += seen > 0 && yes * 10 >= seen * 6;
  }
  return lines;
}

std::string check(const std::vector<std::string>& f) {
  char buf[512];
  auto need = [&](std::size_t n) {
    if (f.size() < n) throw std::runtime_error("too few fields");
  };
  if (f[0] == "info") {
    need(2);
    const Image& a = load(f[1]);
    const std::unordered_set<unsigned> colours(a.px.begin(), a.px.end());
    const bool ok = a.w == 1280 && a.h == 800 && colours.size() >= 40;
    std::snprintf(buf, sizeof buf, "%s: %s.png %dx%d, %zu colours", ok ? "ok" : "FAIL", f[1].c_str(), a.w, a.h,
                  colours.size());
  } else if (f[0] == "diff") {
    need(3);
    const Image& a = load(f[1]);
    const Image& b = load(f[2]);
    const long differ = differing_pixels(a, b);
    const double pct = differ < 0 || a.px.empty() ? 100.0 : 100.0 * static_cast<double>(differ) / static_cast<double>(a.px.size());
    std::snprintf(buf, sizeof buf, "%s: %s vs %s differ in %.1f%% of pixels", pct > 1.0 ? "ok" : "FAIL", f[1].c_str(),
                  f[2].c_str(), pct);
  } else if (f[0] == "same") {
    need(3);
    const Image& a = load(f[1]);
    const Image& b = load(f[2]);
    const long differ = differing_pixels(a, b);
    std::snprintf(buf, sizeof buf, "%s: %s and %s are %s", differ == 0 ? "ok" : "FAIL", f[1].c_str(), f[2].c_str(),
                  differ < 0 ? "of different sizes" : differ == 0 ? "the same picture" : "different pictures");
  } else if (f[0] == "colour") {
    need(4);
    const long k = count_colour(load(f[1]), hex_colour(f[2]));
    const long want = std::stol(f[3]);
    std::snprintf(buf, sizeof buf, "%s: %s.png has %ld pixels of #%s (want >= %ld)", k >= want ? "ok" : "FAIL",
                  f[1].c_str(), k, f[2].c_str(), want);
  } else if (f[0] == "saturated") {
    need(3);
    long k = 0;
    for (unsigned p : load(f[1]).px) {
      const int r = (p >> 16) & 255, g = (p >> 8) & 255, b = p & 255;
      const int hi = std::max({r, g, b}), lo = std::min({r, g, b});
      k += hi - lo > 100;
    }
    const long want = std::stol(f[2]);
    std::snprintf(buf, sizeof buf, "%s: %s.png has %ld strongly coloured pixels (want >= %ld)",
                  k >= want ? "ok" : "FAIL", f[1].c_str(), k, want);
  } else if (f[0] == "marks") {
    need(4);
    const unsigned c = hex_colour(f[3]);
    const long yes = count_colour(load(f[1]), c), no = count_colour(load(f[2]), c);
    const bool ok = yes >= 1000 && yes >= 5 * no;
    std::snprintf(buf, sizeof buf, "%s: repeat marking: %ld marked pixels with a repeat, %ld without",
                  ok ? "ok" : "FAIL", yes, no);
  } else if (f[0] == "grid") {
    need(8);
    const Image& a = load(f[1]);
    // Inside the map's border (2 pixels in from the box the audit recorded).
    const int x0 = static_cast<int>(std::stod(f[2])) + 2, y0 = static_cast<int>(std::stod(f[3])) + 2;
    const int x1 = std::min(a.w - 1, static_cast<int>(std::stod(f[2]) + std::stod(f[4])) - 2);
    const int y1 = std::min(a.h - 1, static_cast<int>(std::stod(f[3]) + std::stod(f[5])) - 2);
    const int cols = std::stoi(f[6]), rows = std::stoi(f[7]);
    const int vx = grid_lines(a, x0, y0, x1, y1, true), hy = grid_lines(a, x0, y0, x1, y1, false);
    std::snprintf(buf, sizeof buf, "%s: %s.png: a map of %d x %d cells with %d column and %d row lines (want %d, %d)",
                  vx == cols - 1 && hy == rows - 1 ? "ok" : "FAIL", f[1].c_str(), rows, cols, vx, hy, cols - 1, rows - 1);
  } else {
    throw std::runtime_error("unknown check '" + f[0] + "'");
  }
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: png_check DIR <checks.txt\n");
    return 2;
  }
  g_dir = argv[1];
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::vector<std::string> f;
    for (std::string w; in >> w;) f.push_back(w);
    if (f.empty()) continue;
    try {
      std::cout << check(f) << "\n";
    } catch (const std::exception& e) {
      std::cout << "FAIL: " << line << ": " << e.what() << "\n";
    }
  }
  return 0;
}
