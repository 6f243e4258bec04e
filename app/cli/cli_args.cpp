// Argument parsing, shared scheme options and matrix output for embedscope-cli.
#include "cli_args.h"
#include "open_model.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace es::cli {

Args::Args(const std::vector<std::string>& words) {
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.size() < 3 || w.rfind("--", 0) != 0)
      throw Error("unexpected argument '" + w + "': options are written --name VALUE");
    std::optional<std::string> value;
    const std::string name = w.substr(2);
    // A value follows unless the next word is another option. Negative numbers ("-3") and a
    // lone "-" are values.
    if (i + 1 < words.size() && words[i + 1].rfind("--", 0) != 0) value = words[++i];
    if (options_.count(name)) throw Error("option --" + name + " is given twice");
    options_[name] = value;
  }
}

bool Args::flag(const std::string& name) {
  auto it = options_.find(name);
  if (it == options_.end()) return false;
  used_.insert(name);
  if (it->second) throw Error("option --" + name + " takes no value (got '" + *it->second + "')");
  return true;
}

std::optional<std::string> Args::get(const std::string& name) {
  auto it = options_.find(name);
  if (it == options_.end()) return std::nullopt;
  used_.insert(name);
  if (!it->second) throw Error("option --" + name + " needs a value");
  return it->second;
}

std::string Args::require(const std::string& name) {
  std::optional<std::string> v = get(name);
  if (!v) throw Error("missing option --" + name);
  return *v;
}

std::string Args::get_or(const std::string& name, const std::string& fallback) {
  return get(name).value_or(fallback);
}

std::optional<long long> Args::get_int_opt(const std::string& name, long long lo, long long hi) {
  std::optional<std::string> v = get(name);
  if (!v) return std::nullopt;
  long long x = 0;
  std::size_t used = 0;
  try {
    x = std::stoll(*v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v->size())
    throw Error("option --" + name + " needs a whole number (got '" + *v + "')");
  if (x < lo || x > hi)
    throw Error("option --" + name + " must be between " + std::to_string(lo) + " and " +
                std::to_string(hi) + " (got " + *v + ")");
  return x;
}

long long Args::get_int(const std::string& name, long long fallback, long long lo, long long hi) {
  return get_int_opt(name, lo, hi).value_or(fallback);
}

std::optional<double> Args::get_double_opt(const std::string& name, double lo, double hi) {
  std::optional<std::string> v = get(name);
  if (!v) return std::nullopt;
  double x = 0;
  std::size_t used = 0;
  try {
    x = std::stod(*v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v->size() || !std::isfinite(x))
    throw Error("option --" + name + " needs a number (got '" + *v + "')");
  if (x < lo || x > hi) {
    std::ostringstream os;
    os << "option --" << name << " must be between " << lo << " and " << hi << " (got " << *v << ")";
    throw Error(os.str());
  }
  return x;
}

double Args::get_double(const std::string& name, double fallback, double lo, double hi) {
  return get_double_opt(name, lo, hi).value_or(fallback);
}

void Args::finish() const {
  std::string unused;
  for (const auto& [name, value] : options_)
    if (!used_.count(name)) unused += (unused.empty() ? "--" : ", --") + name;
  if (!unused.empty()) throw Error("this command does not take " + unused + " (see --help)");
}

std::string scheme_help_text() {
  std::ostringstream os;
  os << "Position schemes (--scheme NAME; the same options for every command):\n";
  for (const SchemeInfo* s : scheme_registry()) {
    os << "  " << s->name << std::string(s->name && std::strlen(s->name) < 15 ? 15 - std::strlen(s->name) : 1, ' ')
       << s->summary << "\n" << std::string(17, ' ') << "[" << position_entry_text(s->entry) << "; trained weights "
       << s->weights << "]";
    for (const ParamSpec& p : s->params) {
      const std::string_view cli = p.cli;
      if (p.choices[0] && (cli == p.choices[0] || cli == p.choices[1]))
        os << " --" << p.choices[0] << "|--" << p.choices[1];
      else if (p.choices[0])
        os << " --" << p.cli << " " << p.choices[0] << "|" << p.choices[1];
      else
        os << " --" << p.cli << " N";
    }
    os << "\n";
  }
  return os.str();
}

std::optional<SchemeParams> read_scheme_options(Args& args, const SchemeParams& base,
                                                bool require_scheme, bool strict) {
  // Every option comes from the scheme registry: a new scheme's parameters need no code here.
  SchemeParams p = base;
  bool any = false;
  if (std::optional<std::string> name = require_scheme ? std::optional(args.require("scheme"))
                                                       : args.get("scheme")) {
    const SchemeInfo& info = scheme_info(*name);
    if (p.kind != info.name) {
      p.kind = info.name;
      if (info.adopt) info.adopt(p);
    }
    any = true;
  }
  // The union of all schemes' options (each a field of SchemeParams), read once each; a
  // choice is --NAME VALUE, or a lone --VALUE flag (--causal, --bidirectional).
  std::vector<const ParamSpec*> specs;
  for (const SchemeInfo* s : scheme_registry())
    for (const ParamSpec& spec : s->params)
      if (std::none_of(specs.begin(), specs.end(), [&](const ParamSpec* o) { return o->field == spec.field; }))
        specs.push_back(&spec);
  for (const ParamSpec* spec : specs) {
    std::optional<double> v;
    if (spec->choices[0] && (std::string_view(spec->cli) == spec->choices[0] ||
                             std::string_view(spec->cli) == spec->choices[1])) {
      for (int c = 0; c < 2; ++c)  // flags: --causal / --bidirectional
        if (args.flag(spec->choices[c])) {
          if (v) throw Error("give --" + std::string(spec->choices[0]) + " or --" + spec->choices[1] + ", not both");
          v = c;
        }
    } else if (spec->choices[0]) {
      if (std::optional<std::string> word = args.get(spec->cli)) {
        for (int c = 0; c < 2; ++c)
          if (*word == spec->choices[c] || (c == 1 && *word == "half-split")) v = c;
        if (!v)
          throw Error("--" + std::string(spec->cli) + " is " + spec->choices[0] + " or " + spec->choices[1] + " (got '" +
                      *word + "')");
      }
    } else if (spec->integer) {
      if (auto x = args.get_int_opt(spec->cli, static_cast<long long>(spec->min), static_cast<long long>(spec->max)))
        v = static_cast<double>(*x);
    } else {
      v = args.get_double_opt(spec->cli, spec->min, spec->max);
    }
    if (v) {
      // An option the scheme does not have is refused, not silently ignored.
      const SchemeInfo& own = scheme_info(p.kind);
      const bool has = std::any_of(own.params.begin(), own.params.end(), [&](const ParamSpec& o) { return o.field == spec->field; });
      // A scheme that is causal by construction (ALiBi, xPos, KERPLE, FIRE) takes --causal as
      // the truth it is, and refuses --bidirectional.
      if (strict && !has && spec->field == ParamField::Causal) {
        if (*v == 0)
          throw Error("the " + std::string(own.name) + " scheme is causal by construction: --bidirectional does not apply");
        continue;
      }
      if (strict && !has) {
        std::string list;
        for (const ParamSpec& o : own.params)
          list += (list.empty() ? "--" : ", --") + std::string(o.choices[0] && std::string_view(o.cli) == o.choices[0]
                                                                   ? std::string(o.choices[0]) + " / --" + o.choices[1]
                                                                   : std::string(o.cli));
        throw Error("--" + std::string(spec->choices[0] && std::string_view(spec->cli) == spec->choices[0]
                                           ? spec->choices[static_cast<int>(*v)]
                                           : spec->cli) +
                    " is not an option of the " + own.name + " scheme (its options: " +
                    (list.empty() ? "none" : list) + ")");
      }
      set_param(p, *spec, *v);
      any = true;
    }
  }
  if (!any) return std::nullopt;
  return p;
}

std::string read_text(Args& args) {
  std::optional<std::string> text = args.get("text");
  std::optional<std::string> file = args.get("text-file");
  if (text && file) throw Error("give --text or --text-file, not both");
  if (text) return *text;
  if (!file) throw Error("missing option --text (or --text-file FILE)");
  std::ostringstream ss;
  if (*file == "-") {
    ss << std::cin.rdbuf();
  } else {
    // A folder opens as a stream that reads nothing: say so instead of tokenizing "".
    std::error_code ec;
    if (std::filesystem::is_directory(*file, ec))
      throw Error("cannot read '" + *file + "': it is a folder, not a text file");
    std::ifstream in(*file, std::ios::binary);
    if (!in) throw Error("cannot read '" + *file + "': " + std::strerror(errno));
    ss << in.rdbuf();
  }
  return ss.str();
}

std::unique_ptr<ModelSource> open_model_option(Args& args, const std::string& fallback) {
  return open_model(args.get_or("model", fallback));
}

MatrixFormat parse_matrix_format(const std::string& name) {
  if (name == "csv") return MatrixFormat::Csv;
  if (name == "json") return MatrixFormat::Json;
  if (name == "npy") return MatrixFormat::Npy;
  throw Error("--format is csv, json or npy (got '" + name + "')");
}

namespace {

void write_number(std::ostream& os, float v, const char* nan_text) {
  if (std::isnan(v)) {
    os << nan_text;
  } else if (std::isinf(v)) {
    os << (v > 0 ? "inf" : "-inf");
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
    os << buf;
  }
}

void write_matrix_json(std::ostream& os, const MatrixRM& m) {
  os << "{\"rows\": " << m.rows() << ", \"cols\": " << m.cols() << ", \"data\": [";
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    os << (i ? ",\n  [" : "\n  [");
    for (Eigen::Index j = 0; j < m.cols(); ++j) {
      if (j) os << ", ";
      if (std::isfinite(m(i, j))) write_number(os, m(i, j), "null");
      else os << "null";  // JSON has no NaN or Inf
    }
    os << "]";
  }
  os << "\n]}\n";
}

// NPY version 1.0: magic, header dict padded with spaces to a multiple of 64, then the
// little-endian float32 data in C order.
void write_matrix_npy(std::ostream& os, const MatrixRM& m) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       std::to_string(m.rows()) + ", " + std::to_string(m.cols()) + "), }";
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  const uint16_t len = static_cast<uint16_t>(header.size());
  os.write("\x93NUMPY\x01\x00", 8);
  const char len_bytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  os.write(len_bytes, 2);
  os << header;
  os.write(reinterpret_cast<const char*>(m.data()), static_cast<std::streamsize>(m.size() * sizeof(float)));
}

}  // namespace

void write_matrix_csv(std::ostream& os, const MatrixRM& m) {
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    for (Eigen::Index j = 0; j < m.cols(); ++j) {
      if (j) os << ',';
      write_number(os, m(i, j), "nan");
    }
    os << '\n';
  }
}

void write_matrix(const MatrixRM& m, MatrixFormat format, const std::optional<std::string>& out_path) {
  std::ofstream file;
  std::ostream* os = &std::cout;
  if (out_path && *out_path != "-") {
    file.open(*out_path, std::ios::binary | std::ios::trunc);
    if (!file) throw Error("cannot write '" + *out_path + "': " + std::strerror(errno));
    os = &file;
  }
  switch (format) {
    case MatrixFormat::Csv: write_matrix_csv(*os, m); break;
    case MatrixFormat::Json: write_matrix_json(*os, m); break;
    case MatrixFormat::Npy: write_matrix_npy(*os, m); break;
  }
  os->flush();
  if (!*os) throw Error("writing the matrix failed" + (out_path ? " ('" + *out_path + "')" : std::string()));
}

std::vector<Command>& command_registry() {
  static std::vector<Command> commands;
  return commands;
}

CommandRegistrar::CommandRegistrar(Command command) { command_registry().push_back(std::move(command)); }

RopeScaling parse_rope_scaling(const std::string& text, double length) {
  RopeScaling sc;
  const std::size_t colon = text.find(':');
  sc.type = text.substr(0, colon);
  if (sc.type == "su") sc.type = "longrope";
  if (!sc.applied() || sc.type == "longrope")
    throw Error("--rope-scaling: the kinds are linear, dynamic, yarn and llama3 (longrope needs per-pair factor lists, "
                "read from a checkpoint's config.json); got '" + sc.type + "'");
  sc.original_max_positions = length;
  sc.max_positions = length;
  std::size_t at = colon == std::string::npos ? text.size() : colon + 1;
  while (at < text.size()) {
    const std::size_t end = std::min(text.find(',', at), text.size());
    const std::string item = text.substr(at, end - at);
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos) throw Error("--rope-scaling: '" + item + "' is not KEY=VALUE");
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    char* stop = nullptr;
    const double v = std::strtod(value.c_str(), &stop);
    if (value.empty() || *stop != '\0' || !std::isfinite(v)) throw Error("--rope-scaling: " + key + " = '" + value + "' is not a number");
    if (key == "factor") sc.factor = v;
    else if (key == "original") sc.original_max_positions = v;
    else if (key == "low_freq_factor") sc.low_freq_factor = v;
    else if (key == "high_freq_factor") sc.high_freq_factor = v;
    else if (key == "attention_factor") sc.attention_factor = v;
    else if (key == "beta_fast") sc.beta_fast = v;
    else if (key == "beta_slow") sc.beta_slow = v;
    else if (key == "mscale") sc.mscale = v;
    else if (key == "mscale_all_dim") sc.mscale_all_dim = v;
    else
      throw Error("--rope-scaling: unknown key '" + key + "' (factor, original, low_freq_factor, high_freq_factor, "
                  "attention_factor, beta_fast, beta_slow, mscale, mscale_all_dim)");
    at = end + 1;
  }
  rope_frequencies(64, 10000.0, sc, static_cast<long long>(length));  // checks the settings
  return sc;
}

}  // namespace es::cli
