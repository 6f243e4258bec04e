// Command-line arguments and the command registry of embedscope-cli.
//
// Each command lives in a cmd_<area>.cpp file and registers itself with ES_CLI_COMMAND; main.cpp
// dispatches on the first word. Options are "--name value" or "--flag"; every option a command
// reads is marked used, and any option left unused is an error (a typo never passes silently).
#pragma once

#include "model_source.h"
#include "position/scheme.h"
#include "types.h"

#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace es::cli {

class Args {
 public:
  // argv after the command word. Throws es::Error on a bare value with no option before it.
  explicit Args(const std::vector<std::string>& words);
  bool flag(const std::string& name);                      // --name present (no value)
  std::optional<std::string> get(const std::string& name); // --name VALUE
  std::string require(const std::string& name);            // error if absent
  std::string get_or(const std::string& name, const std::string& fallback);
  long long get_int(const std::string& name, long long fallback, long long lo, long long hi);
  std::optional<long long> get_int_opt(const std::string& name, long long lo, long long hi);
  double get_double(const std::string& name, double fallback, double lo, double hi);
  std::optional<double> get_double_opt(const std::string& name, double lo, double hi);
  // Throws es::Error naming every option the command did not read.
  void finish() const;

 private:
  std::map<std::string, std::optional<std::string>> options_;
  std::set<std::string> used_;
};

// Scheme options shared by every command: --scheme --base --layout --rotary-fraction --pairs
// --head-dim --heads --head --buckets --max-distance --causal. Starts from `base` (e.g. a
// model's own parameters) and applies what the user gave. Returns nullopt when the user gave
// no scheme option at all.
// "Position schemes (--scheme NAME) ..." for --help: every scheme of the registry with its
// summary and options.
std::string scheme_help_text();
// "--rope-scaling KIND[:KEY=VALUE,...]": linear, dynamic, yarn, longrope, llama3 with factor,
// original (original_max_position_embeddings), low_freq_factor, high_freq_factor,
// attention_factor, beta_fast, beta_slow, mscale, mscale_all_dim. `original` defaults to
// `length` (a lab model's training context). Throws es::Error naming what is wrong.
RopeScaling parse_rope_scaling(const std::string& text, double length);
// An option the chosen scheme does not have is refused (`strict`); `train` reads --heads for the
// model's shape whatever the scheme, so it passes strict = false.
std::optional<SchemeParams> read_scheme_options(Args& args, const SchemeParams& base,
                                                bool require_scheme, bool strict = true);

// The text of a command: --text TEXT, or --text-file FILE ("-" reads standard input).
std::string read_text(Args& args);
// --model SPEC (default `fallback`), opened with es::open_model.
std::unique_ptr<ModelSource> open_model_option(Args& args, const std::string& fallback);

// Output of a matrix: CSV (no header, no index, %.9g, NaN as "nan"), JSON or NPY (<f4).
enum class MatrixFormat { Csv, Json, Npy };
MatrixFormat parse_matrix_format(const std::string& name);
void write_matrix(const MatrixRM& m, MatrixFormat format, const std::optional<std::string>& out_path);
void write_matrix_csv(std::ostream& os, const MatrixRM& m);

struct Command {
  std::string name;
  std::string synopsis;  // one usage line for --help
  std::string help;      // a few lines: what it prints
  std::function<int(Args&)> run;
};
std::vector<Command>& command_registry();
struct CommandRegistrar {
  explicit CommandRegistrar(Command command);
};
#define ES_CLI_CONCAT2(a, b) a##b
#define ES_CLI_CONCAT(a, b) ES_CLI_CONCAT2(a, b)
#define ES_CLI_COMMAND(...) \
  static ::es::cli::CommandRegistrar ES_CLI_CONCAT(es_cli_command_, __LINE__)(::es::cli::Command __VA_ARGS__)

}  // namespace es::cli
