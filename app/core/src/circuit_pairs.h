#pragma once
// The prompt pairs of a circuit job as token ids: a JSONL file read by the analysis library's
// pair reader, or one typed pair encoded with the session's tokenizer.
#include <nlohmann/json.hpp>
#include <vector>

#include "attnscope/analysis/circuits/prompt_pairs.h"
#include "attnscope/app/circuit_session.h"
#include "attnscope/app/opened_model.h"

namespace attnscope::app {

/// The pairs as ids. Throws capture::InputError naming the file and line (JSONL), or the
/// prompt or answer at fault (typed): unequal lengths, unknown tokens, answers that are not
/// one token.
std::vector<analysis::circuits::PromptPair> loadPromptPairs(const OpenedModel& opened,
                                                            const CircuitPairs& pairs);

/// What a circuit records about its pairs (`parameters.pairs`): the file, or the typed pair.
nlohmann::json describePairs(const CircuitPairs& pairs);

}  // namespace attnscope::app
