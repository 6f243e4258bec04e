// embedscope-bench --large: LLaMA-size token tables (synthetic, written in the safetensors
// format as BF16 and F32) opened from the file and analysed, each measure in a child process
// of its own so that its peak resident memory is its own; NumPy and scikit-learn on the same
// file in the same run (bench/large_baselines.py). docs/PERFORMANCE.md records the results.
#pragma once

#include <string>
#include <vector>

namespace es::bench {

struct LargeOptions {
  std::vector<std::pair<long long, long long>> shapes;  // (rows, cols)
  std::vector<std::string> dtypes;                      // "BF16", "F32", "F16"
  bool exact = false;   // also the exact PCA (every component) where cols <= 4096
  bool python = true;   // the NumPy / scikit-learn peers
  bool keep = false;    // keep the tables in $TMPDIR/embedscope-bench-large (and reuse them next time)
  std::string self;     // this program's path, to start the children
};
int run_large(const LargeOptions& options);
// The child side: argv = {what, folder, ...}; prints one JSON line.
int run_large_child(int argc, char** argv);

}  // namespace es::bench
