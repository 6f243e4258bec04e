// Fuzz target: embedscope-cli's argument parsing (app/cli/cli_args.h). The input is the
// argument words, one per line. The parsed scheme options are turned into a position scheme
// and asked for a small matrix; nothing here reads or writes files.
#include "cli_args.h"
#include "embedding.h"
#include "fuzz_check.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace {

std::vector<std::string> split_lines(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '\n') {
      if (i > start || i < s.size()) out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// A small learned table (12, 8) so that --scheme learned has data to serve.
es::SchemeData learned_data() {
  es::SchemeData data;
  es::MatrixRM table(12, 8);  // (L_max, d) row-major
  for (Eigen::Index i = 0; i < table.rows(); ++i)
    for (Eigen::Index j = 0; j < table.cols(); ++j) table(i, j) = static_cast<float>(std::sin(0.7 * i + 1.3 * j));
  data.learned_table = table;
  return data;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  const std::vector<std::string> words = split_lines(std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    es::cli::Args args(words);
    es::SchemeParams base;
    base.kind = "sinusoidal";
    const std::optional<es::SchemeParams> given = es::cli::read_scheme_options(args, base, false);
    const long long n = args.get_int("n", 4, 1, 48);
    const long long d = args.get_int("dim", 8, 1, 64);
    (void)es::cli::parse_matrix_format(args.get_or("format", "csv"));
    if (std::optional<std::string> view = args.get("view")) (void)es::parse_embedding_view(*view);
    (void)args.flag("special");
    (void)args.get_double("scale", 1.0, -1e6, 1e6);
    args.finish();

    const es::SchemeParams p = given.value_or(base);
    const std::unique_ptr<es::PositionScheme> scheme = es::make_position_scheme(p, learned_data());
    (void)scheme->describe();
    (void)scheme->where_position_enters();
    (void)scheme->trained_weights(d);
    if (scheme->adds_to_input()) {
      try {
        const es::MatrixRM rows = scheme->input_rows(n, d);  // (n, d)
        ES_FUZZ_CHECK(rows.rows() == n && rows.cols() == d, "rows() of the wrong shape");
      } catch (const es::Error& e) {
        ES_FUZZ_CHECK(e.what()[0] != '\0', "an error without a message");
      }
    }
    const es::MatrixRM s = scheme->interaction(n, d);  // (n, n)
    ES_FUZZ_CHECK(s.rows() == n && s.cols() == n, "interaction() of the wrong shape");
    const std::vector<double> profile = es::interaction_offset_profile(s);
    ES_FUZZ_CHECK(static_cast<long long>(profile.size()) == n, "offset profile of the wrong length");
  } catch (const es::Error& e) {
    ES_FUZZ_CHECK(e.what()[0] != '\0', "an error without a message");
  }
  return 0;
}
