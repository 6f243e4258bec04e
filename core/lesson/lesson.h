// The lesson: a guided walk from text to the first layer's input (assets/lesson.json).
//
// The steps' words live in the asset, as data to review and translate; every number a step
// shows comes from the engine through lesson_values(), which fills the {NAME} placeholders.
#pragma once

#include "pipeline.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace es {

struct LessonStep {
  std::string id;       // "tokens", "ids", "lookup", ...
  std::string title;
  std::vector<std::string> text;  // two or three sentences, with {NAME} placeholders
  std::string try_this;           // one experiment with the controls
  std::string figure;             // which live figure the step shows ("scheme_rows", "sum", ...)
  std::string scheme;             // the registry scheme a scheme figure draws ("rope"), or ""
  std::string needs;              // "" or "input_rows": what the step needs of the scheme
  std::string instead;            // said when that is missing, with placeholders
  std::size_t presenter = 0;      // the sentence presenter mode shows under the figure
};

// The steps in order, parsed once from the embedded asset (throws es::Error if it is broken).
const std::vector<LessonStep>& lesson_steps();
// A step by 1-based number ("3") or id ("lookup"); -1 when there is none.
int find_lesson_step(std::string_view number_or_id);

// king - man + woman in the loaded model's token table: the word tokens found (" king" with its
// space where the tokenizer spells words that way), and the five rows nearest the sum (the three
// words left out), by cosine. `missing` says why there is nothing when a word has no token of
// its own (or the model has no tokenizer). Computed once per model (one pass over its table).
struct LessonAnalogy {
  std::vector<int> ids;  // king, man, woman
  std::vector<std::pair<std::string, float>> nearest;  // token text (visible), cosine
  int queen_rank = 0;    // 1-based rank of "queen" among the first ten; 0: not there (or no such token)
  std::string missing;
};
const LessonAnalogy& lesson_analogy(const ModelSource& model);

// Every placeholder value for this analysis (model, scheme, text): counts formatted with
// thousands separators, cosines with three decimals.
std::map<std::string, std::string> lesson_values(const Analysis& a);
// text with every {NAME} replaced; throws es::Error naming an unknown placeholder.
std::string fill_placeholders(std::string_view text, const std::map<std::string, std::string>& values);
// "" when the step applies to the analysis' scheme, else what the lesson says instead (filled).
std::string lesson_step_instead(const LessonStep& step, const Analysis& a,
                                const std::map<std::string, std::string>& values);

}  // namespace es
