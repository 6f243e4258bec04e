// Commands over the whole vocabulary: neighbors, analogy, pca.
//
// Token arguments are token TEXT, matched exactly against the model's tokenizer. GPT-2 spells
// a word that follows a space with the space: " king" (id 5822) is the word inside a
// sentence, "king" (id 3364) the word at the very start of a text. Quote the leading space in
// the shell: --token " king". A text that is not one token is an error that shows how it
// splits; --id N (neighbors) and --ids A,B,C (analogy) take ids directly.
#include "cli_args.h"
#include "embedding.h"
#include "model_source.h"
#include "open_model.h"
#include "vocabulary.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace es::cli {
namespace {

std::string fmt6(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

std::string token_label(const ModelSource& model, int id) {
  const std::shared_ptr<const Tokenizer> tok = model.tokenizer();
  if (!tok || id >= tok->vocab_size()) return "";
  return escape_token_text(tok->token_bytes(id));
}

std::shared_ptr<const Tokenizer> need_tokenizer(const ModelSource& model, const char* option) {
  std::shared_ptr<const Tokenizer> tok = model.tokenizer();
  if (!tok)
    throw Error(model.name() + " has no tokenizer EmbedScope reads (" + model.tokenizer_note() + "), so " + option +
                " TEXT cannot be looked up; give token ids instead");
  return tok;
}

int parse_id(const std::string& s, long long vocab, const char* what) {
  std::size_t used = 0;
  long long v = -1;
  try {
    v = std::stoll(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != s.size() || v < 0 || v >= vocab)
    throw Error(std::string(what) + " must be a token id in 0.." + std::to_string(vocab - 1) + " (got '" + s + "')");
  return static_cast<int>(v);
}

// rank, id, cosine, token text; tab-separated.
void print_neighbours(const ModelSource& model, const std::vector<Neighbour>& result) {
  int rank = 1;
  for (const Neighbour& n : result)
    std::cout << rank++ << '\t' << n.id << '\t' << fmt6(n.cosine) << '\t' << token_label(model, n.id) << '\n';
}

int cmd_neighbors(Args& args) {
  const std::unique_ptr<ModelSource> model = open_model(args.require("model"));
  const std::optional<std::string> token = args.get("token");
  const std::optional<std::string> id_text = args.get("id");
  const std::optional<std::string> contains = args.get("contains");
  const int k = static_cast<int>(args.get_int("k", 10, 1, 100000));
  const bool include_self = args.flag("include-self");
  args.finish();
  if (contains) {
    if (token || id_text) throw Error("--contains searches token texts; give it without --token or --id");
    const std::shared_ptr<const Tokenizer> tok = need_tokenizer(*model, "--contains");
    for (int id : search_tokens(*tok, *contains, static_cast<std::size_t>(k)))
      std::cout << id << '\t' << escape_token_text(tok->token_bytes(id)) << '\n';
    return 0;
  }
  if (bool(token) == bool(id_text)) throw Error("give exactly one of --token TEXT or --id N");
  const int id = token ? resolve_token(*need_tokenizer(*model, "--token"), *token)
                       : parse_id(*id_text, model->vocab_size(), "--id");
  if (id >= model->vocab_size())
    throw Error("token " + std::to_string(id) + " is past the model's table (" + std::to_string(model->vocab_size()) + " rows)");
  // One query: one exact pass over the table as stored (BF16 / F16 read in place), no index.
  const TableView table = model->token_table_view();
  RowVectorF query(table.cols);
  table.read_rows(id, 1, query.data());
  std::cerr << "neighbours of token " << id << " \"" << token_label(*model, id) << "\" by cosine over all "
            << model->vocab_size() << " rows of " << model->name() << (include_self ? "" : " (itself excluded)") << '\n';
  const int self[1] = {id};
  print_neighbours(*model, nearest_neighbours(table, std::span<const float>(query.data(), static_cast<std::size_t>(query.size())), k,
                                              include_self ? std::span<const int>() : std::span<const int>(self)));
  return 0;
}

int cmd_analogy(Args& args) {
  const std::unique_ptr<ModelSource> model = open_model(args.require("model"));
  const std::optional<std::string> a = args.get("a"), b = args.get("b"), c = args.get("c");
  const std::optional<std::string> ids_text = args.get("ids");
  const int k = static_cast<int>(args.get_int("k", 10, 1, 100000));
  args.finish();
  int ids[3];
  if (ids_text) {
    if (a || b || c) throw Error("give --a --b --c (token texts) or --ids A,B,C, not both");
    std::stringstream ss(*ids_text);
    std::string item;
    int n = 0;
    while (std::getline(ss, item, ',')) {
      if (n == 3) throw Error("--ids takes exactly three token ids A,B,C");
      ids[n++] = parse_id(item, model->vocab_size(), "--ids");
    }
    if (n != 3) throw Error("--ids takes exactly three token ids A,B,C");
  } else {
    if (!a || !b || !c) throw Error("analogy needs --a, --b and --c (a - b + c), or --ids A,B,C");
    const std::shared_ptr<const Tokenizer> tok = need_tokenizer(*model, "--a/--b/--c");
    ids[0] = resolve_token(*tok, *a);
    ids[1] = resolve_token(*tok, *b);
    ids[2] = resolve_token(*tok, *c);
  }
  const TableView table = model->token_table_view();
  const RowVectorF query = analogy_vector(table, ids[0], ids[1], ids[2]);
  std::cerr << "\"" << token_label(*model, ids[0]) << "\" - \"" << token_label(*model, ids[1]) << "\" + \""
            << token_label(*model, ids[2]) << "\" (unit rows; the three inputs excluded)\n";
  print_neighbours(*model, nearest_neighbours(table, std::span<const float>(query.data(), static_cast<std::size_t>(query.size())), k, ids));
  return 0;
}

int cmd_pca(Args& args) {
  const std::unique_ptr<ModelSource> model = open_model(args.require("model"));
  const std::string table_name = args.get_or("table", "token");
  const int k = static_cast<int>(args.get_int("k", 3, 1, 1 << 20));
  const std::optional<std::string> out = args.get("out");
  const MatrixFormat format = parse_matrix_format(args.get_or("format", "csv"));
  const std::optional<std::string> basis_out = args.get("basis-out");
  const std::string method_name = args.get_or("method", "auto");
  const bool project = args.get("text") || args.get("text-file") || args.get("project-text");
  std::string text;
  std::optional<std::string> view_name;
  std::unique_ptr<PositionScheme> scheme;
  if (project) {
    if (std::optional<std::string> pt = args.get("project-text")) {
      if (args.get("text") || args.get("text-file")) throw Error("give --project-text or --text-file, not both");
      text = *pt;
    } else {
      text = read_text(args);
    }
    view_name = args.get_or("view", "combined");
    scheme = make_model_scheme(*model, read_scheme_options(args, model->default_scheme(), false));
  }
  args.finish();

  const TableView table = [&]() -> TableView {
    if (table_name == "token") return model->token_table_view();  // BF16 / F16 read in place
    if (table_name != "position") throw Error("--table is token or position (got '" + table_name + "')");
    std::optional<TableMap> pos = model->position_table();
    if (!pos)
      throw Error(model->name() + " has no learned position table (its scheme is " +
                  model->default_scheme().kind + "); use --table token");
    return TableView::of(*pos);
  }();
  // exact: every component of the d x d covariance; iterative: only the leading k, by block
  // Krylov iteration until their variances settle (ratios exact to far below 1e-4); auto:
  // iterative for a few components of a wide table (d >= 1024, k <= 64), else exact.
  PcaMethod method = PcaMethod::Auto;
  if (method_name == "exact") method = PcaMethod::Auto;
  else if (method_name == "iterative") method = PcaMethod::Iterative;
  else if (method_name == "auto") method = leading_components_method(table.cols, k);
  else throw Error("--method is auto, exact or iterative (got '" + method_name + "')");
  PcaTiming timing;
  const PcaBasis basis = fit_pca_view(table, k, method, &timing);
  if (out) write_matrix(basis.components, format, out);
  if (basis_out) save_pca_basis(basis, *basis_out);

  // Explained variance: to stdout, or to stderr when stdout carries the projected CSV.
  std::ostream& info = project ? std::cerr : std::cout;
  info << "# PCA of the " << table_name << " table of " << model->name() << ": " << basis.fit_rows << " rows x "
       << table.cols << " dims (" << element_type_name(table.type) << "), every row; total variance " << basis.total_variance << "; "
       << (method == PcaMethod::Iterative ? timing.path : std::string("exact covariance eigendecomposition")) << '\n';
  info << "# component\texplained_variance\tratio\tcumulative_ratio\n";
  double cum = 0;
  for (std::size_t i = 0; i < basis.explained_variance.size(); ++i) {
    cum += basis.explained_variance_ratio[i];
    info << i + 1 << '\t' << basis.explained_variance[i] << '\t' << fmt6(basis.explained_variance_ratio[i]) << '\t'
         << fmt6(cum) << '\n';
  }
  if (!project) return 0;

  const std::optional<EmbeddingView> view = parse_embedding_view(*view_name);
  if (!view || *view == EmbeddingView::Normed) throw Error("--view is token, position or combined (got '" + *view_name + "')");
  const std::shared_ptr<const Tokenizer> tok = need_tokenizer(*model, "--project-text");
  const std::vector<int> ids = tok->encode(text);
  if (ids.empty()) throw Error("the text gives no tokens");
  const InputEmbedding e = compute_input_embedding(*model, *scheme, ids);
  if (*view == EmbeddingView::Position && !e.position_added)
    std::cerr << "note: " << scheme->name() << " adds nothing at the input; the position rows are zero\n";
  std::cerr << "# projected " << embedding_view_name(*view) << " rows (" << ids.size() << " tokens) onto the "
            << basis.components.rows() << " components, one CSV row per token\n";
  write_matrix_csv(std::cout, basis.project(e.view(*view)));
  return 0;
}

}  // namespace

ES_CLI_COMMAND({"neighbors", "neighbors --model M (--token TEXT | --id N | --contains TEXT) [--k K] [--include-self]",
                "The k nearest tokens by cosine over the whole token table (exact), tab-separated:\n"
                "rank, id, cosine, token text. The token itself is excluded unless --include-self.\n"
                "TEXT is a token's exact text: GPT-2 writes a word after a space with the space,\n"
                "so --token \" king\" (quoted) is the word in a sentence. --contains TEXT lists up to K\n"
                "tokens whose text contains TEXT (id, text).",
                cmd_neighbors});
ES_CLI_COMMAND({"analogy", "analogy --model M --a A --b B --c C [--k K] | --ids A,B,C",
                "Tokens nearest (cosine) to a - b + c over the whole table, with a, b and c\n"
                "excluded; each input row is scaled to unit length first. Tab-separated: rank, id,\n"
                "cosine, token text. Example: --a \" king\" --b \" man\" --c \" woman\".",
                cmd_analogy});
ES_CLI_COMMAND({"pca",
                "pca --model M [--table token|position] [--k K] [--method auto|exact|iterative] [--out FILE [--format csv|json|npy]] "
                "[--basis-out FILE] [--project-text TEXT [--view token|position|combined] [scheme options]]",
                "Exact PCA of the whole token (default) or learned position table, fit on every row.\n"
                "--method exact diagonalises the d x d covariance; iterative finds only the leading\n"
                "k by block Krylov iteration until their variances settle (same ratios to far below\n"
                "1e-4, in a few passes over the table and little memory beside it); auto (default)\n"
                "takes iterative for k <= 64 on tables at least 1,024 wide.\n"
                "Prints component, explained variance, ratio, cumulative ratio (k default 3). --out\n"
                "writes the (k, d) components; --basis-out the whole basis (binary, reusable).\n"
                "--project-text (or --text-file) projects that text's rows of one view (default\n"
                "combined) onto the components: CSV (n, k) on stdout, the variance table on stderr.",
                cmd_pca});

}  // namespace es::cli
