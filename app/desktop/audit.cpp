#include "audit.h"

#include <cstdio>
#include <fstream>
#include <vector>

namespace es::ui {

namespace {

struct Record {
  std::string kind, text;
  float width, room;
};
bool g_on = false;
std::vector<Record> g_records;

}  // namespace

void audit_enable(bool on) { g_on = on; }
bool audit_enabled() { return g_on; }
void audit_new_frame() { g_records.clear(); }

void audit_text(const char* kind, std::string_view text, float width, float room) {
  // Called while drawing: nothing is copied unless the audit is on.
  if (g_on) g_records.push_back({kind, std::string(text), width, room});
}

std::string audit_write(const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return "cannot write the audit file " + path;
  for (const Record& r : g_records) {
    char nums[64];
    std::snprintf(nums, sizeof nums, "%.1f\t%.1f", static_cast<double>(r.width), static_cast<double>(r.room));
    // Half a pixel of slack: text measured and placed in floats.
    const bool fits = r.room < 0 || r.width <= r.room + 0.5f;
    out << r.kind << '\t' << (fits ? "fits" : "CLIPPED") << '\t' << nums << '\t' << r.text << '\n';
  }
  return out.good() ? std::string() : "cannot write the audit file " + path;
}

}  // namespace es::ui
