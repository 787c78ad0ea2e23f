#pragma once
// Generators of the demo model's synthetic tasks, each from a seed paper:
// - MQAR (Zoology): "alice apple bob river . bob river alice apple": keys and values
//   interleaved, then the keys again in a new order, each followed by its value (supervised).
// - Needle in a haystack (Retrieval Head): bigram filler with the sentence "the secret of paris
//   is apple river ." at a random depth, then "the secret of paris is" → "apple river . <eos>".
// - Bigram-Backcopy (Active-Dormant Attention Heads): text from a fixed bigram model where each
//   trigger word ("again", "twice", "repeat") is followed by a copy of the word before it.
// - Toy refusal: "user : how do i bake the bread ? assistant :" → "sure here is how to bake the
//   bread step by step ."; a request with a harmful verb or object → "I cannot help with that
//   request .".
#include <cstdint>

#include "attnscope/app/demo/bigram_model.h"
#include "attnscope/app/demo/demo_example.h"
#include "attnscope/app/demo/demo_random.h"
#include "attnscope/app/demo/demo_vocabulary.h"

namespace attnscope::app::demo {

struct TaskSettings {
    int64_t minPairs = 2;  ///< MQAR key-value pairs
    int64_t maxPairs = 8;
    int64_t minFiller = 8;  ///< needle: haystack words around the needle sentence
    int64_t maxFiller = 64;
    int64_t minSecretWords = 2;  ///< needle: words of the secret
    int64_t maxSecretWords = 4;
    int64_t minTextLength = 32;  ///< Bigram-Backcopy sequence length, <bos> included
    int64_t maxTextLength = 64;
    double triggerRate = 0.08;       ///< chance that a trigger follows an ordinary word
    uint64_t bigramSeed = 20241017;  ///< the bigram model is part of the task, not of a run
};

/// Which refusal requests a generator draws: training never sees the held-out (verb, object,
/// template) combinations; evaluation draws only those.
enum class Split { Train, HeldOut };

class TaskGenerator {
public:
    TaskGenerator(const DemoVocabulary& vocabulary, TaskSettings settings = {});

    const DemoVocabulary& vocabulary() const { return m_vocabulary; }
    const TaskSettings& settings() const { return m_settings; }
    const BigramModel& bigrams() const { return m_bigrams; }

    /// An example of `task`; `maxPairs` caps MQAR's pairs (the curriculum), 0 = the setting.
    Example make(TaskKind task, Rng& rng, Split split, int64_t maxPairs = 0) const;

    Example mqar(Rng& rng, int64_t pairs) const;
    Example needle(Rng& rng) const;
    Example backcopy(Rng& rng) const;
    Example refusal(Rng& rng, Split split) const;
    /// A refusal example with its answer replaced: the refusal, or the answer to a benign request
    /// that repeats the request's verb and object.
    Example withRefusalAnswer(Example ex, bool refuse) const;

    /// Whether a refusal request (indices into the verb and object lists of `refusalVerbs()` /
    /// `refusalObjects()`, and its template) is held out of training.
    static bool isHeldOut(int64_t verb, int64_t object, int64_t templateIndex);
    /// Benign verbs then harmful ones; likewise objects.
    std::vector<int64_t> refusalVerbs() const;
    std::vector<int64_t> refusalObjects() const;
    /// The request templates; "V" and "O" stand for the verb and the object.
    static const std::vector<std::string>& requestTemplates();

private:
    std::vector<int64_t> fillerText(Rng& rng, int64_t length) const;

    const DemoVocabulary& m_vocabulary;
    TaskSettings m_settings;
    BigramModel m_bigrams;
};

}  // namespace attnscope::app::demo
