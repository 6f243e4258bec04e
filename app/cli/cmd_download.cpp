// embedscope-cli download: a model from the Hugging Face hub (or HF_ENDPOINT) into the hub cache.
#include "checkpoint.h"
#include "file_text.h"
#include "cli_args.h"
#include "hf_env.h"
#include "hub_download.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace es::cli {

namespace {

std::atomic<bool> g_cancel{false};

void on_interrupt(int) { g_cancel = true; }


std::string time_text(double s) {
  if (s < 0) return "?";
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s / 3600), static_cast<int>(s / 60) % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s / 60), static_cast<int>(s) % 60);
  else std::snprintf(buf, sizeof buf, "%ds", static_cast<int>(s + 0.5));
  return buf;
}

int cmd_download(Args& a) {
  HubDownloadOptions o;
  // REPO@REV names a revision as --model REPO@REV opens it.
  const auto [repo, at_revision] = split_repo_revision(a.require("repo"));
  o.repo = repo;
  const std::string revision = a.get_or("revision", "");
  if (!revision.empty() && at_revision != "main" && revision != at_revision)
    throw Error("two revisions given: @" + at_revision + " and --revision " + revision);
  o.revision = revision.empty() ? at_revision : revision;
  o.anonymous = a.flag("no-token");
  const bool quiet = a.flag("quiet");
  a.finish();
  // Ctrl-C stops the transfer cleanly: what arrived is kept for the next run to resume.
  std::signal(SIGINT, on_interrupt);
  o.cancel = &g_cancel;
  const bool tty = ::isatty(STDERR_FILENO);
  std::string last_stage;
  o.progress = [&](const HubProgress& p) {
    if (quiet) return;
    if (p.stage != "downloading") {
      if (p.stage != last_stage) std::cerr << (tty ? "\r\033[K" : "") << p.stage << "\n";
      last_stage = p.stage;
      return;
    }
    last_stage = p.stage;
    std::string line = "[" + std::to_string(p.file_index) + "/" + std::to_string(p.file_count) + "] " + p.file + "  " +
                       format_bytes(p.done) + " of " + format_bytes(p.total);
    if (p.total > 0) line += " (" + std::to_string(static_cast<int>(100.0 * p.done / p.total)) + "%)";
    if (p.bytes_per_second > 0) line += "  " + format_bytes(static_cast<std::uint64_t>(p.bytes_per_second)) + "/s, " + time_text(p.seconds_left) + " left";
    if (tty) std::cerr << "\r\033[K" << line << std::flush;
  };
  const HubDownloadResult r = hub_download(o);
  if (tty && !quiet) std::cerr << "\r\033[K";
  if (r.offline)
    std::cout << "offline\t" << hf_environment().offline_variable
              << " is set: nothing was fetched; the cached snapshot is complete\n";
  std::cout << "downloaded\t" << format_bytes(r.downloaded) << "\n";
  if (!r.retried.empty()) std::cout << "retried\t" << r.retried.size() << " time" << (r.retried.size() == 1 ? "" : "s") << "\n";
  if (r.copied) std::cout << "links\tnone: this file system has no symlinks (or HF_HUB_DISABLE_SYMLINKS is set), so snapshot files are copies\n";
  std::cout << "commit\t" << r.commit << "\n";
  std::cout << "files\t";
  for (std::size_t i = 0; i < r.files.size(); ++i) std::cout << (i ? " " : "") << r.files[i];
  std::cout << "\nsnapshot\t" << r.snapshot.string() << "\n";
  // A branch or tag other than main opens by name@revision; main opens by name.
  const std::string name = o.revision == "main" ? o.repo : o.repo + "@" + o.revision;
  std::cout << "open with\tembedscope --model " << name << "   (or embedscope-cli info --model " << name << ")\n";
  return 0;
}

int cmd_catalogue(Args& a) {
  a.finish();
  for (const CatalogueModel& m : model_catalogue())
    std::cout << m.repo << '\t' << format_bytes(m.download_bytes) << '\t' << m.what << '\n';
  return 0;
}

}  // namespace

ES_CLI_COMMAND({"download", "download REPO[@REV] [--revision R] [--no-token] [--quiet]",
                "Fetches what EmbedScope needs of a model on the Hugging Face hub (config.json, the\n"
                "tokenizer files, the safetensors weights or the index and its shards) into the hub\n"
                "cache ($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub), in the layout\n"
                "every hub tool reads, taking the same lock files as the Python client. Progress on\n"
                "stderr; failures that may pass (HTTP 429 and 5xx, a broken connection) are retried\n"
                "with backoff and said; Ctrl-C stops and a second run resumes.\n"
                "HF_ENDPOINT sets a mirror, HF_TOKEN (or the token file) a token for gated models\n"
                "(--no-token sends none), https_proxy a proxy; HF_HUB_OFFLINE=1 fetches nothing and\n"
                "only checks the cache. Afterwards --model REPO (REPO@REV for another revision) opens\n"
                "it. See `catalogue` for models worth a look.",
                cmd_download});
ES_CLI_COMMAND({"catalogue", "catalogue",
                "Models that show something interesting in EmbedScope, with their download size.",
                cmd_catalogue});

}  // namespace es::cli
