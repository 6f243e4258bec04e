// embedscope-cli: the scriptable face of embedscope_core. Commands register themselves
// (cli_args.h); this file only dispatches and turns errors into one line on stderr.
#include "cli_args.h"

#include <algorithm>
#include <iostream>

namespace {

void print_usage(std::ostream& os) {
  os << "embedscope-cli: the input stage of a transformer, from the command line.\n\n"
        "usage: embedscope-cli COMMAND [options]\n"
        "       embedscope-cli COMMAND --help\n\n"
        "Commands:\n";
  std::vector<es::cli::Command> commands = es::cli::command_registry();
  std::sort(commands.begin(), commands.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (const auto& c : commands) os << "  " << c.synopsis << "\n";
  os << "\nModels (--model): classroom[:V=8,L=6,d=4,seed=42], gpt2-untrained[:seed=1234], a\n"
        "safetensors file or folder, or a name in the Hugging Face cache (e.g. gpt2, or\n"
        "openai-community/gpt2@REV for a revision other than main).\n"
        "\n" << es::cli::scheme_help_text() <<
        "Matrices print as CSV (no header, no index, 9 significant digits, masked cells 'nan').\n"
        "Errors: one line on stderr, exit status 1 (2 for a usage error).\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    print_usage(words.empty() ? std::cerr : std::cout);
    return words.empty() ? 2 : 0;
  }
  if (words[0] == "--version") {
    std::cout << "embedscope-cli 0.1.0\n";
    return 0;
  }
  const auto& commands = es::cli::command_registry();
  auto it = std::find_if(commands.begin(), commands.end(),
                         [&](const es::cli::Command& c) { return c.name == words[0]; });
  if (it == commands.end()) {
    std::cerr << "embedscope-cli: unknown command '" << words[0] << "' (see embedscope-cli --help)\n";
    return 2;
  }
  std::vector<std::string> rest(words.begin() + 1, words.end());
  // `download REPO`: the one command whose subject comes without an option name.
  if (words[0] == "download" && !rest.empty() && rest[0].rfind("--", 0) != 0) rest.insert(rest.begin(), "--repo");
  // `info MODEL`: a bare first word is the model.
  if (it->name == "info" && !rest.empty() && rest[0].rfind("--", 0) != 0) rest.insert(rest.begin(), "--model");
  if (std::find(rest.begin(), rest.end(), "--help") != rest.end()) {
    std::cout << "usage: embedscope-cli " << it->synopsis << "\n\n" << it->help << "\n";
    return 0;
  }
  try {
    es::cli::Args args(rest);
    return it->run(args);
  } catch (const es::Error& e) {
    std::cerr << "embedscope-cli " << it->name << ": " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "embedscope-cli " << it->name << ": out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "embedscope-cli " << it->name << ": " << e.what() << "\n";
    return 1;
  }
}
