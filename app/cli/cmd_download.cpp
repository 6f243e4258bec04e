// embedscope-cli download: a model from the Hugging Face hub (or HF_ENDPOINT) into the hub cache.
#include "checkpoint.h"
#include "file_text.h"
#include "cli_args.h"
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
  o.repo = a.require("repo");
  o.revision = a.get_or("revision", "main");
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
  std::cout << "downloaded\t" << format_bytes(r.downloaded) << "\n";
  std::cout << "commit\t" << r.commit << "\n";
  std::cout << "files\t";
  for (std::size_t i = 0; i < r.files.size(); ++i) std::cout << (i ? " " : "") << r.files[i];
  std::cout << "\nsnapshot\t" << r.snapshot.string() << "\n";
  std::cout << "open with\tembedscope --model " << o.repo << "   (or embedscope-cli info --model " << o.repo << ")\n";
  return 0;
}

int cmd_catalogue(Args& a) {
  a.finish();
  for (const CatalogueModel& m : model_catalogue())
    std::cout << m.repo << '\t' << format_bytes(m.download_bytes) << '\t' << m.what << '\n';
  return 0;
}

}  // namespace

ES_CLI_COMMAND({"download", "download REPO [--revision R] [--quiet]",
                "Fetches what EmbedScope needs of a model on the Hugging Face hub (config.json, the\n"
                "tokenizer files, the safetensors weights or the index and its shards) into the hub\n"
                "cache ($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub), in the layout\n"
                "every hub tool reads. Progress on stderr; Ctrl-C stops and a second run resumes.\n"
                "HF_ENDPOINT sets a mirror, HF_TOKEN a token for gated models, https_proxy a proxy.\n"
                "Afterwards --model REPO opens it. See `catalogue` for models worth a look.",
                cmd_download});
ES_CLI_COMMAND({"catalogue", "catalogue",
                "Models that show something interesting in EmbedScope, with their download size.",
                cmd_catalogue});

}  // namespace es::cli
