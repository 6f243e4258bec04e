// Writing the current matrices to files: CSV (no header, %.9g, NaN as "nan") and NPY (<f4).
#pragma once

#include "app_state.h"

#include <filesystem>
#include <string>
#include <vector>

namespace es::ui {

void write_csv(const MatrixRM& m, const std::filesystem::path& path);  // throws es::Error
// rows x cols values (row stride `stride`) as CSV: 9 significant digits, "nan" for masked.
std::string csv_text(const float* values, long long rows, long long cols, long long stride);
void write_npy(const MatrixRM& m, const std::filesystem::path& path);  // throws es::Error
// token, position, combined, normed and S of the current state, each as .csv and .npy.
std::vector<std::string> export_embedding(const AppState& state, const std::filesystem::path& dir);

}  // namespace es::ui
