#pragma once
// Token ids typed by hand instead of text: for models whose tokenizer EmbedScope cannot read
// (BERT's WordPiece vocab.txt, SentencePiece tokenizer.model), and for anyone who wants exact
// ids. The CLI takes them with --ids; the desktop text box takes a line "ids: 101 2023 102".

#include <optional>
#include <string_view>
#include <vector>

namespace es {

// "464, 262 3797" -> {464, 262, 3797}: ids separated by commas and/or white space. Throws
// es::Error naming the bad item when one is not a non-negative integer below 2^31, or when
// there is none. `what` names the input in the message ("--ids", "the ids line").
std::vector<int> parse_token_id_list(std::string_view text, std::string_view what);

// True when the text is an ids line: optional spaces, then "ids:" in any case.
bool is_ids_line(std::string_view text);
// The ids of an ids line (parse_token_id_list of what follows "ids:"), or nullopt when the
// text is not one.
std::optional<std::vector<int>> parse_ids_line(std::string_view text);

}  // namespace es
