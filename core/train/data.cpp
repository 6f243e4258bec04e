// Training data: the toy language, the sorting task, text files (see data.h).
#include "data.h"

#include "bpe_merge.h"
#include "bpe_tokenizer.h"
#include "file_text.h"
#include "word_tokenizer.h"
#include "../types.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <random>

namespace es::train {

namespace {

namespace fs = std::filesystem;

struct WordClass {
  const char* name;
  std::vector<const char*> words;
};

// The grammar's word classes (every word is in the classroom vocabulary, assets/classroom_words.txt).
const std::vector<WordClass>& classes() {
  static const std::vector<WordClass> c = {
      {"animal", {"cat", "dog", "fox", "bird", "fish", "rat"}},
      {"male", {"man", "boy", "dad"}},
      {"female", {"woman", "girl", "mom"}},
      {"thing", {"hat", "box", "ball", "cup", "book", "car", "bus", "bed", "log"}},
      {"colour", {"red", "blue", "green"}},
      {"size", {"big", "small", "old", "new"}},
      {"feeling", {"happy", "sad", "hot", "cold"}},
      {"past verb", {"saw", "had"}},
      {"plain verb", {"see", "eat", "play", "look", "jump", "run", "sit"}},
      {"motion", {"ran", "went"}},
      {"rest", {"sat"}},
      {"place", {"house", "tree", "mat"}},
      {"plural subject", {"we", "they", "you", "i"}},
      {"function", {"the", "a", "he", "she", "his", "her", "has", "is", "was", "with", "to", "on", "in", "up",
                    "down", "by", "and", "can", "not", ".", "?", "yes", "no", "it"}},
  };
  return c;
}

const std::vector<const char*>& words_of(const char* cls) {
  for (const auto& c : classes())
    if (std::string_view(c.name) == cls) return c.words;
  throw Error(std::string("toy grammar: no class ") + cls);
}

}  // namespace

std::vector<std::string> toy_words() {
  std::vector<std::string> w = {"<unk>"};
  for (const auto& c : classes())
    for (const char* x : c.words) w.push_back(x);
  return w;
}

std::string toy_word_class(const std::string& word) {
  for (const auto& c : classes())
    for (const char* x : c.words)
      if (word == x) return c.name;
  return "";
}

std::string toy_text(int sentences, uint64_t seed) {
  std::mt19937_64 g(seed);
  auto pick = [&](const char* cls) {
    const auto& w = words_of(cls);
    return std::string(w[std::uniform_int_distribution<std::size_t>(0, w.size() - 1)(g)]);
  };
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(g) < p; };
  auto noun_phrase = [&](const char* cls) {  // "the big red ball"
    std::string s = chance(0.6) ? "the" : "a";
    if (chance(0.3)) s += " " + pick("size");
    if (chance(0.5)) s += " " + pick("colour");
    return s + " " + pick(cls);
  };
  std::string out;
  out.reserve(std::size_t(sentences) * 40);
  for (int i = 0; i < sentences; ++i) {
    std::string s;
    switch (std::uniform_int_distribution<int>(0, 7)(g)) {
      case 0: s = noun_phrase("animal") + " " + pick("past verb") + " " + noun_phrase("thing"); break;
      case 1: {  // agreement of pronoun and possessive with the person
        const bool male = chance(0.5);
        s = "the " + pick(male ? "male" : "female") + " " + pick("past verb") + " " + (male ? "his" : "her") + " " +
            pick("thing") + " . " + (male ? "he" : "she") + " was " + pick("feeling");
        break;
      }
      case 2: s = pick("plural subject") + " " + pick("plain verb") + " with " + noun_phrase("animal"); break;
      case 3: s = std::string(chance(0.5) ? "he" : "she") + " has " + noun_phrase("thing"); break;
      case 4: s = noun_phrase("animal") + " " + pick("motion") + " " + (chance(0.5) ? "up" : "down") + " the " + pick("place"); break;
      case 5: s = pick("plural subject") + " can " + pick("plain verb") + " in the " + pick("place"); break;
      case 6: {
        const std::string colour = pick("colour");
        s = "the " + pick("thing") + " is " + colour;
        break;
      }
      default: s = "the " + pick("animal") + " sat on the mat"; break;
    }
    out += s + " . ";
  }
  return out;
}

std::string sort_text(int lines, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::string out;
  for (int i = 0; i < lines; ++i) {
    const int n = std::uniform_int_distribution<int>(4, 8)(g);
    std::string s;
    for (int k = 0; k < n; ++k) s += char('a' + std::uniform_int_distribution<int>(0, 7)(g));
    std::string sorted = s;
    std::sort(sorted.begin(), sorted.end());
    out += s + ":" + sorted + "\n";
  }
  return out;
}

Corpus load_corpus(const std::string& data, const std::string& tokenizer, uint64_t seed, long long min_tokens) {
  if (data.empty()) throw Error("training data: say --data toy, --data sort or --data FILE");
  Corpus c;
  c.source = data;
  c.tokenizer = tokenizer.empty() ? (data == "toy" ? "classroom" : data == "sort" ? "bytes" : "gpt2") : tokenizer;
  if (c.tokenizer != "classroom" && c.tokenizer != "gpt2" && c.tokenizer != "bytes")
    throw Error("training data: the tokenizer is gpt2, classroom or bytes (got '" + c.tokenizer + "')");
  const long long want = std::clamp<long long>(min_tokens, 1000, 20'000'000);
  auto tokenize = [&](const std::string& text) {
    if (c.tokenizer == "bytes") {
      c.vocab = 256;
      c.ids.assign(text.size(), 0);
      for (std::size_t i = 0; i < text.size(); ++i) c.ids[i] = static_cast<unsigned char>(text[i]);
      return;
    }
    if (c.tokenizer == "classroom") {
      c.words = data == "toy" ? toy_words() : classroom_vocabulary(1 << 20);
      c.tok = std::make_shared<WordTokenizer>(c.words);
    } else {
      c.tok = default_gpt2_tokenizer();  // throws with how to fetch it when the files are missing
    }
    c.vocab = c.tok->vocab_size();
    c.ids = c.tok->encode(text);
  };
  if (data == "toy") {
    int n = 2000;
    for (;;) {  // sentences average ~7 tokens
      tokenize(toy_text(n, seed));
      if (static_cast<long long>(c.ids.size()) >= want || n > 4'000'000) break;
      n = static_cast<int>(std::min<long long>(4'000'001, n * 2 + want / 6));
    }
  } else if (data == "sort") {
    int n = 1000;
    for (;;) {
      tokenize(sort_text(n, seed));
      if (static_cast<long long>(c.ids.size()) >= want || n > 4'000'000) break;
      n = static_cast<int>(std::min<long long>(4'000'001, n * 2 + want / 12));
    }
  } else {
    std::error_code ec;
    if (!fs::exists(data, ec)) throw Error("training data: no such file '" + data + "'");
    if (fs::is_directory(data, ec)) throw Error("training data: '" + data + "' is a folder, not a text file");
    const std::string text = read_small_file(data, "training text", std::uintmax_t{256} << 20);
    if (text.empty()) throw Error("training data: '" + data + "' is empty");
    tokenize(text);
  }
  if (c.ids.size() < 3) throw Error("training data: '" + data + "' gives fewer than 3 tokens");
  return c;
}

void write_tokenizer_files(const Corpus& c, const fs::path& dir) {
  auto write = [&](const char* name, const std::string& text) {
    std::ofstream f(dir / name, std::ios::binary);
    f << text;
    if (!f) throw Error("cannot write " + (dir / name).string());
  };
  if (c.tokenizer == "classroom") {
    std::string text;
    for (const auto& w : c.words) text += w + "\n";
    write("embedscope_words.txt", text);
  } else if (c.tokenizer == "bytes") {
    // Byte-level BPE without merges: every byte is its own token, and its id is its value.
    nlohmann::json vocab = nlohmann::json::object();
    for (int b = 0; b < 256; ++b) {
      const std::string key = bpe::bytes_to_token_string(std::string(1, static_cast<char>(b)));
      vocab[key] = b;
    }
    write("vocab.json", vocab.dump());
    write("merges.txt", "#version: 0.2\n");
  } else {
    const fs::path src = default_gpt2_tokenizer_dir();
    std::error_code ec;
    for (auto [from, to] : {std::pair{"encoder.json", "vocab.json"}, std::pair{"vocab.bpe", "merges.txt"}}) {
      fs::copy_file(src / from, dir / to, fs::copy_options::overwrite_existing, ec);
      if (ec) throw Error("cannot copy GPT-2's " + std::string(from) + " into " + dir.string() + ": " + ec.message());
    }
  }
}

}  // namespace es::train
