// Shared numeric types and the error type of embedscope_core.
#pragma once

#include <Eigen/Dense>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace es {

// Every table in EmbedScope is row-major: row i is the vector of token / position i.
using MatrixRM = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixRMd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVectorF = Eigen::Matrix<float, 1, Eigen::Dynamic>;
using RowVectorD = Eigen::Matrix<double, 1, Eigen::Dynamic>;
using TableMap = Eigen::Map<const MatrixRM>;  // a view of a (rows, cols) table, e.g. mmap'd

// The library never exits: every failure is thrown as es::Error with a message a person
// understands (what was being done, on what, and why it failed).
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace es
