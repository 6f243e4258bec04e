// Training data for the lab: a toy language, the sorting task, or any text file, as one
// stream of token ids with the tokenizer that made it.
#pragma once

#include "tokenizer.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace es::train {

// Tokenizer kinds: "classroom" (words; for the toy language its own word list), "gpt2",
// "bytes" (ids are the byte values, vocabulary 256).
struct Corpus {
  std::string source;        // "toy", "sort" or the file path
  std::string tokenizer;     // "classroom", "gpt2", "bytes"
  std::vector<int> ids;
  int vocab = 0;
  std::vector<std::string> words;  // word tokenizers: the vocabulary (words[0] = "<unk>")
  std::shared_ptr<const Tokenizer> tok;  // encodes text the way ids were made (bytes: null)
};

// The toy language: sentences from the classroom vocabulary with agreement (he / his with
// man, boy, dad; she / her with woman, girl, mom; plural subjects with plain verbs, he / she
// with "has"), colours and sizes before nouns, animals that run and things that are held.
// `sentences` sentences from `seed`, words separated by spaces, each ending in " .".
std::string toy_text(int sentences, uint64_t seed);
// Its vocabulary: "<unk>" then every word the grammar uses, in a fixed order.
std::vector<std::string> toy_words();
// Word classes of the toy vocabulary, for captions and tests ("noun", "verb", "colour", ...);
// "" for words outside any class.
std::string toy_word_class(const std::string& word);

// The sorting task: lines "dbca:abcd\n" (4 to 8 letters from a-h and their sorted copy).
std::string sort_text(int lines, uint64_t seed);

// data: "toy", "sort" or a path to a UTF-8 text file; tokenizer: "" for the default (toy:
// classroom, sort: bytes, file: gpt2). `seed` picks the generated text (training and
// evaluation use different seeds); `min_tokens` makes generated data at least that long.
// Throws es::Error for a missing, empty or unreadable file (over 256 MB), an unknown
// tokenizer, or a GPT-2 tokenizer whose files are not fetched.
Corpus load_corpus(const std::string& data, const std::string& tokenizer, uint64_t seed, long long min_tokens);

// Writes the tokenizer files a checkpoint folder needs so that EmbedScope (and, for gpt2 and
// bytes, any GPT-2 tool) opens it on text: vocab.json + merges.txt, or embedscope_words.txt.
void write_tokenizer_files(const Corpus& c, const std::filesystem::path& dir);

}  // namespace es::train
