// Unicode helpers for the tokenizers that normalise text (tokenizer.json normalisers, BERT's
// basic tokenizer), on top of Debian's libutf8proc: normal forms, case, categories.
//
// Text is UTF-8. Invalid bytes in the input become U+FFFD before any of these run (as a Rust
// String, which Hugging Face's tokenizers work on, cannot hold them).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace es::uni {

enum class Form { NFC, NFD, NFKC, NFKD };

// `text` with every invalid UTF-8 sequence replaced by U+FFFD (one per maximal invalid part).
std::string sanitize_utf8(std::string_view text);
// Length of the well-formed UTF-8 sequence starting at s[i] (Unicode 15, table 3-7: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 when there is none.
std::size_t valid_utf8_length(std::string_view s, std::size_t i);
// Next code point of valid UTF-8 `s` at byte `i`; advances `i`. (Input must be sanitized.)
char32_t next_code_point(std::string_view s, std::size_t& i);
void append_utf8(std::string& out, char32_t c);

// Unicode normal form of valid UTF-8 (utf8proc; Unicode 15 tables in Debian 12).
std::string normalize(std::string_view text, Form form);
// Full lower-casing as Rust's str::to_lowercase: utf8proc's simple mapping, plus U+0130
// (capital I with dot, which lowers to "i" + U+0307) and final sigma.
std::string lowercase(std::string_view text);
// Removes nonspacing marks (category Mn), after NFD when `decompose` is set.
std::string strip_accents(std::string_view text, bool decompose);
// Every combining mark removed (Mn, Mc, Me: the StripAccents normalizer; BERT's own clean-up
// removes only Mn, which strip_accents does).
std::string strip_marks(std::string_view text);

// The extended grapheme clusters of valid UTF-8 (UAX #29, utf8proc), as [begin, end) byte ranges.
std::vector<std::pair<std::size_t, std::size_t>> graphemes(std::string_view text);

bool is_white_space(char32_t c);     // Unicode White_Space (Rust's char::is_whitespace)
bool is_nonspacing_mark(char32_t c);  // Mn
bool is_other(char32_t c);            // C*: Cc, Cf, Cs, Co, Cn
bool is_unassigned(char32_t c);       // Cn (noncharacters such as U+FFFF among them)
bool is_punctuation(char32_t c);      // BERT: ASCII punctuation or P*
bool is_numeric(char32_t c);          // Nd, Nl, No (Rust's char::is_numeric)
bool is_cjk_ideograph(char32_t c);    // the CJK blocks BERT pads with spaces
// Rust's regex \w: Alphabetic, marks, decimal digits, connector punctuation, joiners.
bool is_word_char(char32_t c);

}  // namespace es::uni
