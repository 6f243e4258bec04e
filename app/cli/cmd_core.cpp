// The foundation commands: tokens, embed, positions, interaction, alibi-slopes, t5-bucket,
// counts, repeats.
#include "analysis.h"
#include "open_model.h"
#include "bpe_tokenizer.h"
#include "cli_args.h"
#include "embedding.h"
#include "pipeline.h"
#include "repeats.h"
#include "token_id_list.h"
#include "word_tokenizer.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace es::cli {
namespace {

// Ids of the command's text (--text/--text-file with the model's tokenizer, or --ids).
// --text / --text-file / --ids and the scheme options, as one pipeline input.
AnalysisInput analysis_input(Args& args, const ModelSource& model) {
  AnalysisInput in;
  if (std::optional<std::string> ids = args.get("ids")) {
    if (args.get("text") || args.get("text-file")) throw Error("give --text or --ids, not both");
    in.ids = parse_token_id_list(*ids, "--ids");
  } else {
    in.special_tokens = args.flag("special");
    in.text = read_text(args);
    if (!model.tokenizer())
      throw Error(model.name() + " has no tokenizer EmbedScope reads (" + model.tokenizer_note() + "); give token ids with --ids");
  }
  in.scheme = read_scheme_options(args, model.default_scheme(), false);
  return in;
}

std::unique_ptr<PositionScheme> scheme_for(Args& args, const ModelSource& model) {
  return make_model_scheme(model, read_scheme_options(args, model.default_scheme(), false));
}

std::string fmt(double v) {
  if (std::isnan(v)) return "nan";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

int cmd_tokens(Args& args) {
  const bool special = args.flag("special");
  std::shared_ptr<const Tokenizer> tok;
  std::optional<std::string> model_spec = args.get("model");
  const std::string kind = args.get_or("tokenizer", "gpt2");
  const std::string text = read_text(args);
  args.finish();
  std::unique_ptr<ModelSource> model;
  if (model_spec) {
    model = open_model(*model_spec);
    tok = model->tokenizer();
    if (!tok) throw Error(model->name() + " has no tokenizer EmbedScope reads (" + model->tokenizer_note() + ")");
  } else if (kind == "gpt2") {
    tok = default_gpt2_tokenizer();
  } else if (kind == "classroom") {
    tok = make_classroom_model()->tokenizer();
  } else {
    throw Error("--tokenizer is gpt2 or classroom (got '" + kind + "')");
  }
  const std::vector<int> ids = tok->encode(text, special);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    std::cout << i << '\t' << ids[i] << '\t' << escape_token_text(tok->token_bytes(ids[i]));
    if (tok->is_special(ids[i])) std::cout << "\tspecial";
    std::cout << '\n';
  }
  return 0;
}

int cmd_embed(Args& args) {
  const std::shared_ptr<const ModelSource> model = open_model_option(args, "classroom");
  const AnalysisInput input = analysis_input(args, *model);
  const std::string view_name = args.get_or("view", "combined");
  const std::optional<EmbeddingView> view = parse_embedding_view(view_name);
  if (!view) throw Error("--view is token, position, combined or normed (got '" + view_name + "')");
  const MatrixFormat format = parse_matrix_format(args.get_or("format", "csv"));
  const std::optional<std::string> out = args.get("out");
  args.finish();
  const std::shared_ptr<const Analysis> a = analyse(model, input);
  const InputEmbedding& e = a->embedding();
  if (*view == EmbeddingView::Position && !e.position_added)
    std::cerr << "note: " << a->scheme().name() << " adds nothing at the input; the position rows are zero\n";
  if (*view == EmbeddingView::Normed) std::cerr << "note: normed with " << a->norm_label() << "\n";
  write_matrix(e.view(*view), format, out);
  return 0;
}

int cmd_positions(Args& args) {
  std::unique_ptr<ModelSource> model;
  if (std::optional<std::string> spec = args.get("model")) model = open_model(*spec);
  const long long n = args.get_int_opt("n", 1, 1 << 20).value_or(-1);
  if (n < 0) throw Error("missing option --n");
  std::optional<long long> dim = args.get_int_opt("dim", 1, 65536);
  if (!dim && !model) throw Error("missing option --dim");
  const MatrixFormat format = parse_matrix_format(args.get_or("format", "csv"));
  const std::optional<std::string> out = args.get("out");
  std::unique_ptr<PositionScheme> scheme;
  if (model) {
    scheme = scheme_for(args, *model);
  } else {
    scheme = make_position_scheme(*read_scheme_options(args, SchemeParams{}, true));
  }
  args.finish();
  if (!scheme->adds_to_input())
    throw Error(scheme->name() + " adds no rows at the input. " + scheme->where_position_enters());
  write_matrix(scheme->input_rows(n, dim.value_or(model ? model->dim() : 0)), format, out);
  return 0;
}

int cmd_interaction(Args& args) {
  std::unique_ptr<ModelSource> model;
  if (std::optional<std::string> spec = args.get("model")) model = open_model(*spec);
  const long long n = args.get_int_opt("n", 1, 23170).value_or(-1);
  if (n < 0) throw Error("missing option --n");
  const long long dim = args.get_int("dim", model ? model->dim() : 64, 1, 65536);
  const MatrixFormat format = parse_matrix_format(args.get_or("format", "csv"));
  const std::optional<std::string> out = args.get("out");
  std::unique_ptr<PositionScheme> scheme =
      model ? scheme_for(args, *model) : make_position_scheme(*read_scheme_options(args, SchemeParams{}, true));
  args.finish();
  write_matrix(scheme->interaction(n, dim), format, out);
  std::cerr << "note: S[i][j] is " << scheme->interaction_meaning() << "\n";
  return 0;
}

int cmd_alibi_slopes(Args& args) {
  const long long heads = args.get_int_opt("heads", 1, 4096).value_or(-1);
  if (heads < 0) throw Error("missing option --heads");
  const bool log2 = args.flag("log2");
  args.finish();
  for (double m : alibi_slopes(static_cast<int>(heads))) std::cout << fmt(log2 ? std::log2(m) : m) << '\n';
  return 0;
}

int cmd_t5_bucket(Args& args) {
  std::optional<long long> rel = args.get_int_opt("rel", -(1LL << 40), 1LL << 40);
  if (!rel) throw Error("missing option --rel");
  const bool causal = args.flag("causal");
  const int buckets = static_cast<int>(args.get_int("buckets", 32, 2, 65536));
  const int max_distance = static_cast<int>(args.get_int("max-distance", 128, 2, 1LL << 30));
  args.finish();
  std::cout << t5_relative_bucket(*rel, !causal, buckets, max_distance) << '\n';
  return 0;
}

int cmd_counts(Args& args) {
  const long long kMax = 1LL << 40;
  const std::optional<long long> v = args.get_int_opt("vocab", 1, kMax);
  const std::optional<long long> l = args.get_int_opt("max-len", 0, kMax);
  const std::optional<long long> d = args.get_int_opt("dim", 1, kMax);
  if (!v || !l || !d) throw Error("counts needs --vocab V --max-len L --dim D");
  SchemeParams base;
  base.kind = "learned";
  const SchemeParams p = read_scheme_options(args, base, false).value_or(base);
  const bool tied = args.flag("tied");
  const bool no_ln = args.flag("no-layer-norm");
  const long long types = args.get_int("token-types", 0, 0, 1 << 20);
  args.finish();
  const WeightCounts c = count_input_weights(*v, *l, *d, p, tied, !no_ln, types);
  const std::string sv = std::to_string(*v), sl = std::to_string(*l), sd = std::to_string(*d);
  std::cout << "component\tshape\tweights\n";
  std::cout << "token table\t" << sv << " x " << sd << '\t' << c.token_table << '\n';
  const SchemeInfo& info = scheme_info(p.kind);
  if (info.counted == WeightsCounted::PositionTable)
    std::cout << "position table\t" << sl << " x " << sd << '\t' << c.position_table << '\n';
  else if (info.counted == WeightsCounted::FirstBlockBias)
    std::cout << c.scheme_bias_label << "\t" << info.weights << '\t' << c.scheme_bias << '\n';
  else if (info.counted == WeightsCounted::Formula)
    std::cout << "positions (" << p.kind << ")\tformula\t0\n";
  else
    std::cout << "positions (" << p.kind << ")\tinside attention\t0\t(not input-stage: " << info.weights << ")\n";
  if (types > 0) std::cout << "token-type table\t" << types << " x " << sd << '\t' << c.token_type_table << '\n';
  if (!no_ln) std::cout << "LayerNorm\t2 x " << sd << '\t' << c.layer_norm << '\n';
  std::cout << "total\t\t" << c.total << '\n';
  if (tied)
    std::cout << "saved by weight tying\t" << sv << " x " << sd << '\t' << c.tying_saving
              << "\t(the output head reuses the token table)\n";
  return 0;
}

int cmd_attention(Args& args) {
  const std::shared_ptr<const ModelSource> model = open_model_option(args, "classroom");
  const AnalysisInput input = analysis_input(args, *model);
  const std::optional<long long> head = args.get_int_opt("head", 1, 4096);
  const MatrixFormat format = parse_matrix_format(args.get_or("format", "csv"));
  const std::optional<std::string> out = args.get("out");
  args.finish();
  const std::shared_ptr<const Analysis> a = analyse(model, input);
  const Block0Attention* b = a->block0();
  if (!b) throw Error("no block-0 attention for " + model->name() + ": " + a->block0_note());
  const long long h = head.value_or(1);
  if (h > b->heads) throw Error("--head " + std::to_string(h) + ": the model has " + std::to_string(b->heads) + " heads");
  write_matrix(b->logits[static_cast<std::size_t>(h - 1)], format, out);
  std::cerr << "note: " << a->block0_note() << "; head " << h << " of " << b->heads << ", d_head " << b->head_dim
            << (b->kv_heads != b->heads ? ", " + std::to_string(b->kv_heads) + " key heads" : std::string()) << "\n";
  return 0;
}

int cmd_repeats(Args& args) {
  const std::shared_ptr<const ModelSource> model = open_model_option(args, "classroom");
  const AnalysisInput input = analysis_input(args, *model);
  args.finish();
  const std::shared_ptr<const Analysis> a = analyse(model, input);
  const PositionScheme* scheme = &a->scheme();
  const std::vector<RepeatedTokenGroup>& groups = a->repeats();
  if (groups.empty()) {
    std::cout << "no repeated tokens in this text\n";
    return 0;
  }
  std::cout << "token\tid\ti\tj\ttoken_l2\ttoken_cos\tcombined_l2\tcombined_cos\trope_token_row_score"
               "\tbias_shift\tbias_shift_spread\twindow_extra_keys\tblock0_logit_spread\n";
  auto opt = [](const std::optional<double>& v) { return v ? fmt(*v) : std::string("-"); };
  for (const RepeatedTokenGroup& g : groups)
    for (const RepeatedTokenPair& p : g.pairs)
      std::cout << escape_token_text(g.text) << '\t' << g.id << '\t' << p.i << '\t' << p.j << '\t'
                << fmt(p.token_l2) << '\t' << fmt(p.token_cos) << '\t' << fmt(p.combined_l2) << '\t'
                << fmt(p.combined_cos) << '\t' << opt(p.rope_self_score) << '\t' << opt(p.bias_shift) << '\t'
                << opt(p.bias_shift_spread) << '\t'
                << (p.window_extra_keys ? std::to_string(*p.window_extra_keys) : std::string("-")) << '\t'
                << opt(a->block0_pair_spread(p.i, p.j)) << '\n';
  std::cerr << "note: " << scheme->repeated_token_story() << "\n";
  std::cerr << "note: block0_logit_spread: " << a->block0_note() << "\n";
  return 0;
}

}  // namespace

ES_CLI_COMMAND({"tokens", "tokens --text TEXT [--tokenizer gpt2|classroom | --model M] [--special]",
                "One line per token, tab-separated: position, id, the token text with non-printable\n"
                "bytes escaped (\\n, \\t, \\xNN), and 'special' for a special token. GPT-2's byte-level\n"
                "BPE by default; a --model uses its own tokenizer (tokenizer.json of any kind, a\n"
                "SentencePiece model, vocab.json + merges.txt, BERT's vocab.txt). --special matches the\n"
                "special tokens written in the text (<|endoftext|>, [SEP], <s>) and adds the ones the\n"
                "model puts around a text ([CLS] ... [SEP] for BERT, <s> for LLaMA, </s> for T5).\n"
                "--text-file FILE (or -) reads the text from a file.",
                cmd_tokens});
ES_CLI_COMMAND({"embed",
                "embed --text TEXT [--model M] [scheme options] [--view token|position|combined|normed] "
                "[--format csv|json|npy] [--out FILE]",
                "The (n, d) rows of one view of the input embedding: token rows E[t_i], position rows\n"
                "P[i], combined X + P (default), or normed (LayerNorm of combined, with the model's\n"
                "first LayerNorm or gamma 1, beta 0). Model default: classroom; scheme default: the\n"
                "model's own. --ids 1,2,3 instead of --text gives token ids directly.",
                cmd_embed});
ES_CLI_COMMAND({"positions", "positions --scheme NAME --n N --dim D [scheme options] [--model M] [--format F] [--out FILE]",
                "The (n, d) rows a scheme adds at the input. Schemes that add nothing (rope, alibi,\n"
                "t5, none) are an error that says where their position information goes instead.\n"
                "Learned positions need --model (its table).",
                cmd_positions});
ES_CLI_COMMAND({"interaction", "interaction --scheme NAME --n N [--dim D] [scheme options] [--model M]",
                "The position-interaction matrix S (n, n) as CSV: cosine of position rows (additive\n"
                "schemes), (2/d_head) sum_k cos((i-j) theta_k) + (1 - d_r/d_head) (rope), -m_h (i-j)\n"
                "(alibi, --heads H --head h), bucket(j-i) or its learned bias (t5), term (d) of\n"
                "Transformer-XL with stand-ins v = 1, W = I, the log bucket of i-j or the cosine of\n"
                "its trained embedding with offset 0's (deberta). Causal: cells j > i are nan.\n"
                "A note on stderr says what one cell means. --dim defaults to the model's width or 64.",
                cmd_interaction});
ES_CLI_COMMAND({"alibi-slopes", "alibi-slopes --heads H [--log2]",
                "The ALiBi slope of each head, one per line (heads 1..H), for any H.", cmd_alibi_slopes});
ES_CLI_COMMAND({"t5-bucket", "t5-bucket --rel R [--causal] [--buckets B] [--max-distance M]",
                "The T5 relative-position bucket of rel = key - query (defaults: 32 buckets, max\n"
                "distance 128, bidirectional).",
                cmd_t5_bucket});
ES_CLI_COMMAND({"counts", "counts --vocab V --max-len L --dim D [--scheme NAME] [--tied] [--token-types T] [--no-layer-norm]",
                "Trained weights of the input stage, tab-separated: token table, position table (or\n"
                "T5 biases, or 0 for formulas), token-type table, LayerNorm, total, and what weight\n"
                "tying saves. Scheme default: learned.",
                cmd_counts});
ES_CLI_COMMAND({"attention", "attention --text TEXT --model M [--head h] [--format F] [--out FILE]",
                "Block 0's real attention logits (n, n) of one head (1-based, default 1) for the text:\n"
                "the model's first norm, its own q/k weights (GPT-2 c_attn, LLaMA q_proj/k_proj,\n"
                "NeoX and BLOOM query_key_value), its scheme (RoPE rotation, ALiBi bias), scaled by\n"
                "1/sqrt(d_head); keys after the query are nan. Only with the model's own scheme.",
                cmd_attention});
ES_CLI_COMMAND({"repeats", "repeats --text TEXT [--model M] [scheme options]",
                "The repeated-token table: for every pair of positions holding the same token, L2\n"
                "distance and cosine in the token view (0 and 1) and the combined view, and for\n"
                "schemes that add nothing at the input, where they diverge:\n"
                "  rope_token_row_score  <R_i x, R_j x>/|x|^2 for the TOKEN ROW x (a proxy for q.k)\n"
                "  bias_shift            mean of S[j][k] - S[i][k] over the keys both see\n"
                "  bias_shift_spread     its max - min: 0 means a constant shift, which softmax\n"
                "                        ignores (ALiBi): both weigh the shared keys identically\n"
                "  window_extra_keys     causal models: keys the later one alone sees (j - i)\n"
                "  block0_logit_spread   checkpoints with block 0's q/k weights: the largest, over\n"
                "                        heads, spread of the two queries' real block-0 logits\n"
                "A note on stderr says what the scheme does to the pair.",
                cmd_repeats});

}  // namespace es::cli
