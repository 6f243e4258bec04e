// embedscope-cli train / evaluate: the training lab from the command line.
#include "cli_args.h"
#include "trainer.h"
#include "threads.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

namespace es::cli {

namespace {

int cmd_train(Args& args) {
  train::TrainOptions o;
  const std::string data = args.require("data");
  const std::string tokenizer = args.get_or("tokenizer", "");
  o.model.scheme = scheme_info(args.get_or("scheme", "learned")).name;
  o.model.layers = static_cast<int>(args.get_int("layers", 2, 1, 48));
  o.model.heads = static_cast<int>(args.get_int("heads", 4, 1, 64));
  // The scheme's own settings (--base, --buckets, --scale-base, ...), from the registry, on the
  // lab's defaults; the model's shape (heads, head width) and the causal mask are the model's.
  SchemeParams lab = lab_scheme_defaults();
  lab.kind = o.model.scheme;
  o.model.position = *read_scheme_options(args, lab, false, false);
  o.model.dim = static_cast<int>(args.get_int("dim", 64, 2, 4096));
  o.model.context = static_cast<int>(args.get_int("context", 64, 2, 8192));
  o.batch = static_cast<int>(args.get_int("batch", 16, 1, 4096));
  o.steps = args.get_int("steps", 1000, 0, 100'000'000);
  o.optimizer = args.get_or("optimizer", "adamw");
  o.lr = args.get_double("lr", o.optimizer == "sgd" ? 0.1 : 1e-3, 1e-9, 10);
  o.weight_decay = args.get_double("weight-decay", 0.1, 0, 10);
  o.clip = args.get_double("clip", 1.0, 0, 1e6);
  o.schedule = args.get_or("schedule", "cosine");
  o.warmup = args.get_int("warmup", 0, 0, 100'000'000);
  o.seed = static_cast<uint64_t>(args.get_int("seed", 1, 0, (1LL << 62)));
  o.batch_order = args.get_or("batch-order", "shuffled");
  o.threads = static_cast<int>(args.get_int("threads", worker_threads(), 1, 256));
  const std::string out = args.require("out");
  const std::optional<std::string> log_path = args.get("log");
  const long long every = args.get_int("print-every", 0, 0, 100'000'000);
  args.finish();
  train::validate(o.model.vocab == 0 ? [&] { auto m = o.model; m.vocab = 2; return m; }() : o.model);
  train::validate(o);
  const long long need = (o.steps + 1) * o.batch * (o.model.context + 1);
  train::Corpus corpus = train::load_corpus(data, tokenizer, o.seed, std::min<long long>(need, 2'000'000));
  train::Trainer t(o, std::move(corpus));
  std::cerr << "train: " << t.model().config().layers << " layers, d = " << t.model().config().dim << ", "
            << t.model().config().heads << " heads, context " << t.model().config().context << ", scheme "
            << t.model().config().scheme << ", vocabulary " << t.model().config().vocab << " (" << t.corpus().tokenizer
            << "), " << t.model().params().size() << " parameters; data " << t.corpus().ids.size() << " tokens, "
            << t.windows() << " windows\n";
  std::ofstream log_file;
  if (log_path) {
    log_file.open(*log_path);
    if (!log_file) throw Error("cannot write the log " + *log_path);
    log_file << "step,tokens,loss,lr,grad_norm,seconds\n";
  }
  const long long print_every = every > 0 ? every : std::max<long long>(1, o.steps / 10);
  for (long long s = 0; s < o.steps; ++s) {
    const train::StepInfo i = t.step();
    if (!std::isfinite(i.loss)) throw Error("the loss became " + std::to_string(i.loss) + " at step " + std::to_string(i.step) + " (try a smaller --lr)");
    if (log_file) log_file << i.step << ',' << i.tokens << ',' << i.loss << ',' << i.lr << ',' << i.grad_norm << ',' << i.seconds << '\n';
    if (i.step % print_every == 0 || i.step == o.steps) {
      std::fprintf(stderr, "step %lld/%lld  loss %.4f  lr %.2e  |g| %.3f  %.0f tokens/s\n", i.step, o.steps, i.loss, i.lr,
                   i.grad_norm, double(i.tokens) / std::max(1e-9, i.seconds));
    }
  }
  t.save(out);
  std::cout << "saved " << out << " (" << t.steps_done() << " steps";
  if (!t.log().empty()) std::printf(", last loss %.4f", t.log().back().loss);
  std::cout << ")\n";
  return 0;
}

int cmd_evaluate(Args& args) {
  const std::string dir = args.require("model");
  const std::string data = args.require("data");
  const std::optional<long long> T = args.get_int_opt("context", 2, 1 << 16);
  const uint64_t seed = static_cast<uint64_t>(args.get_int("seed", 999, 0, 1LL << 62));
  const int threads = static_cast<int>(args.get_int("threads", worker_threads(), 1, 256));
  const std::optional<std::string> scaling = args.get("rope-scaling");
  args.finish();
  train::LoadedModel m = train::load_trained(dir);
  const int ctx = static_cast<int>(T.value_or(m.config.context));
  m.model.set_threads(threads);
  if (scaling) {  // RoPE stretched to the test length, its frequencies set from the training context
    if (!find_scheme(m.config.scheme) || ![&] {
          for (const ParamSpec& s : scheme_info(m.config.scheme).params)
            if (s.field == ParamField::RotaryFraction) return true;
          return false;
        }())
      throw Error("--rope-scaling applies to a RoPE model; this one was trained with " + m.config.scheme);
    SchemeParams p = m.model.config().position;
    p.rope_scaling = parse_rope_scaling(*scaling, m.config.context);
    m.model.set_position_params(p);
  }
  // Generated data for evaluation comes from another seed than training's (default 999).
  const train::Corpus c = train::load_corpus(data, m.tokenizer, seed, 200'000);
  if (c.vocab != m.config.vocab)
    throw Error("the data's tokenizer (" + c.tokenizer + ", " + std::to_string(c.vocab) + " ids) does not match the model's vocabulary of " +
                std::to_string(m.config.vocab));
  const double loss = train::evaluate(m.model, c.ids, ctx);
  std::printf("%.6f\n", loss);
  std::fprintf(stderr, "evaluate: %s on %s, context %d, %lld windows: %.4f nats per token (perplexity %.2f)%s\n",
               dir.c_str(), data.c_str(), ctx, static_cast<long long>(c.ids.size() / ctx), loss, std::exp(loss),
               scaling ? (", RoPE scaling " + *scaling).c_str() : "");
  return 0;
}

}  // namespace

ES_CLI_COMMAND({"train",
                "train --data toy|sort|FILE [--tokenizer gpt2|classroom|bytes] --scheme S [its settings: --base X ...] "
                "[--layers L --heads H --dim D --context T --batch B --steps N --lr X --optimizer adamw|sgd --seed S "
                "--batch-order shuffled|sequential --threads K] --out DIR [--log FILE.csv]",
                "Trains a small GPT-2-style model (pre-LayerNorm blocks, tied head) from scratch and saves a\n"
                "checkpoint folder every view opens: model.safetensors with GPT-2's tensor names,\n"
                "config.json (with the scheme's settings), the tokenizer files and train_log.csv. Every\n"
                "scheme of the registry trains (see Position schemes below; its options as there, on the\n"
                "lab's defaults: base 10000, rotate-half RoPE, T5 32 buckets).\n"
                "Defaults: 2 layers, d 64, 4 heads, context 64, batch 16, 1000 steps,\n"
                "AdamW lr 1e-3 (SGD 0.1), weight decay 0.1 on weight matrices, clip 1.0, cosine schedule\n"
                "to lr/10 (--schedule constant, --warmup N), shuffled windows, seed 1. --steps 0 saves\n"
                "the initial weights. Data: the toy language (classroom words), the sorting task\n"
                "(bytes), or a UTF-8 text file (GPT-2's tokenizer unless --tokenizer says otherwise).\n"
                "Progress goes to stderr (--print-every N), the log to --log FILE.csv.",
                cmd_train});
ES_CLI_COMMAND({"evaluate",
                "evaluate --model DIR --data FILE|toy|sort [--context T] [--seed S] [--rope-scaling KIND:KEY=V,...]",
                "Mean next-token cross-entropy (nats per predicted token) of a checkpoint saved by\n"
                "`train` over every non-overlapping window of T tokens (default: its training\n"
                "context); window w predicts tokens wT+1 .. wT+T-1 from their prefixes. Prints the\n"
                "number on stdout, a summary on stderr. toy and sort are generated from --seed\n"
                "(default 999, not a training seed). A learned position table shorter than T is\n"
                "refused with a clear message; the other schemes run at any length. --rope-scaling\n"
                "stretches a RoPE model to the test length: linear, dynamic, yarn or llama3, e.g.\n"
                "yarn:factor=4 (original = the training context; keys factor, original, attention_factor,\n"
                "beta_fast, beta_slow, mscale, mscale_all_dim, low_freq_factor, high_freq_factor).",
                cmd_evaluate});

}  // namespace es::cli
