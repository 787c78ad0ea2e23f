// Circuits known by construction (issue 13 acceptance): GPT-2-architecture models with
// hand-set weights and zeroed MLPs (or one hand-set MLP). ACDC and EAP-IG must find exactly the
// edges that carry the clean/corrupted difference (ROC AUC 1.0), and unused heads score zero.
//
// Every feature of the residual stream is a ±pair of dimensions (+1 on one, −1 on the other),
// so every residual has mean zero and, with one-hot features, the same norm for every token:
// LayerNorm is then a fixed scaling and the hand-set weights read features exactly.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "attnscope/analysis/circuits/circuit_files.h"
#include "attnscope/analysis/circuits/edge_patching.h"
#include "attnscope/capture/model_config.h"
#include "attnscope/capture/transformer_block.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::analysis::circuits {
namespace {

constexpr int64_t kVocab = 10, kPositions = 12, kHeads = 4;
// Features: token t, position p, "moved" token t (written by a layer-0 head), output token t.
constexpr int64_t kTok = 0, kPos = kVocab, kMoved = kVocab + kPositions,
                  kOut = 2 * kVocab + kPositions, kFeatures = 3 * kVocab + kPositions;
constexpr int64_t kDModel = 2 * kFeatures, kDHead = kDModel / kHeads;
// Query-key products give attention logits of this size on a match (a one-hot attention).
const double kMatch = std::sqrt(30.0 * std::sqrt(static_cast<double>(kDHead)));

int64_t plus(int64_t feature) {
    return 2 * feature;
}

// Writes feature `feature` with magnitude `scale` into column `column` of a [D, ...] matrix.
void writeFeature(at::Tensor& w, int64_t feature, int64_t column, double scale) {
    w[plus(feature)][column] = scale;
    w[plus(feature) + 1][column] = -scale;
}

std::shared_ptr<capture::TransformerModel> emptyModel(int layers) {
    const auto config = capture::parseModelConfig(
        R"({"architectures":["GPT2LMHeadModel"],"vocab_size":10,"n_positions":12,"n_embd":)" +
            std::to_string(kDModel) + R"(,"n_layer":)" + std::to_string(layers) +
            R"(,"n_head":4,"tie_word_embeddings":false})",
        "known circuit");
    auto model =
        std::make_shared<capture::TransformerModel>(config, at::TensorOptions().dtype(at::kFloat));
    at::NoGradGuard noGrad;
    at::Tensor embed = model->embedWeight().t(), pos = model->posEmbedWeight().t();  // [D, n]
    for (int64_t t = 0; t < kVocab; ++t)
        writeFeature(embed, kTok + t, t, 1.0);
    for (int64_t p = 0; p < kPositions; ++p)
        writeFeature(pos, kPos + p, p, 1.0);
    at::Tensor unembed = model->unembedWeight().t();
    for (int64_t t = 0; t < kVocab; ++t)
        writeFeature(unembed, kOut + t, t, 1.0);
    return model;
}

// LayerNorm's scale for a residual holding `pairs` one-hot features.
double normScale(int pairs) {
    return std::sqrt(static_cast<double>(kDModel) / (2.0 * pairs));
}

// Head 0 of `layer`: q reads feature qFrom(i) into head dimension i, k reads kFrom(i) into i
// (kMatch each), v reads token t into dimension t, and the output writes feature outBase + t.
template <typename QFrom, typename KFrom>
void setHead(capture::TransformerModel& model, int layer, int pairs, int64_t dims, QFrom qFrom,
             KFrom kFrom, int64_t vFrom, int64_t outBase) {
    at::NoGradGuard noGrad;
    auto& attn = *model.block(layer).attn;
    const double c = normScale(pairs);
    at::Tensor q = attn.wQkv.narrow(0, 0, kDHead), k = attn.wQkv.narrow(0, kDModel, kDHead);
    at::Tensor v = attn.wQkv.narrow(0, 2 * kDModel, kDHead);
    for (int64_t i = 0; i < dims; ++i) {
        for (int64_t f : qFrom(i))
            q[i][plus(f)] = kMatch / c;
        for (int64_t f : kFrom(i))
            k[i][plus(f)] = kMatch / c;
    }
    for (int64_t t = 0; t < kVocab; ++t) {
        v[t][plus(vFrom + t)] = 1.0 / c;
        writeFeature(attn.wO, outBase + t, t, 1.0);
    }
}

std::vector<int64_t> one(int64_t f) {
    return {f};
}

PromptPair pair(std::vector<int64_t> clean, std::vector<int64_t> corrupted, int64_t answer,
                int64_t wrong) {
    return {std::move(clean), std::move(corrupted), answer, wrong};
}

std::set<std::string> keptNames(const Circuit& c) {
    std::set<std::string> names;
    for (int64_t e = 0; e < c.graph.edgeCount(); ++e)
        if (c.inCircuit[static_cast<size_t>(e)]) names.insert(c.graph.edgeName(e));
    return names;
}

std::vector<uint8_t> reference(const EdgeGraph& graph, const std::set<std::string>& names) {
    std::vector<uint8_t> ref(static_cast<size_t>(graph.edgeCount()), 0);
    for (const auto& n : names) {
        const int64_t e = graph.edgeIndex(n);
        EXPECT_GE(e, 0) << n;
        if (e >= 0) ref[static_cast<size_t>(e)] = 1;
    }
    return ref;
}

// Recovers the constructed edges with ACDC and EAP-IG; unused heads score exactly zero.
void expectRecovered(capture::TransformerModel& model, const std::vector<PromptPair>& pairs,
                     const std::set<std::string>& expected, double threshold) {
    EdgePatcher patcher(model, pairs);
    ASSERT_GT(patcher.fullModel() - patcher.emptyCircuit(), 1.0) << "corruption has no effect";
    const EdgeGraph& graph = patcher.graph();
    const auto ref = reference(graph, expected);

    const Circuit found = acdc(patcher, threshold);
    EXPECT_EQ(keptNames(found), expected);
    EXPECT_NEAR(patcher.faithfulness(patcher.evaluate(found.inCircuit)), 1.0, 1e-3);

    const Circuit ig = eapIg(patcher, 5);
    EXPECT_DOUBLE_EQ(rocAuc(ig.scores, ref, true), 1.0);
    for (size_t e = 0; e < ref.size(); ++e) {
        const GraphNode& sender = graph.nodes()[static_cast<size_t>(graph.edgeSender(e))];
        const ReceiverInput& receiver =
            graph.receivers()[static_cast<size_t>(graph.edgeReceiver(e))];
        const bool unusedHead = (sender.kind == NodeKind::Head && sender.head != 0) ||
                                (receiver.port != Port::Residual && receiver.index != 0);
        const std::string name = graph.edgeName(static_cast<int64_t>(e));
        if (unusedHead) {
            EXPECT_EQ(ig.scores[e], 0.0f) << name;
        }
        if (ref[e]) {
            EXPECT_GT(ig.scores[e], 0.1f) << name;
        }
    }
}

TEST(KnownCircuits, PreviousTokenHeadFeedsInductionHead) {
    auto model = emptyModel(2);
    // a0.h0 attends to the previous position and moves its token; a1.h0 attends where the
    // moved token equals the current token and writes the token found there to the output.
    setHead(
        *model, 0, 2, kPositions, [](int64_t i) { return one(kPos + i); },
        [](int64_t i) { return i > 0 ? one(kPos + i - 1) : std::vector<int64_t>{}; }, kTok, kMoved);
    setHead(
        *model, 1, 3, kVocab, [](int64_t i) { return one(kTok + i); },
        [](int64_t i) { return one(kMoved + i); }, kTok, kOut);
    // "f0 f1 A B f4 f5 A" → B. Corrupting the first A breaks the previous-token path, the B the
    // value path, the last A the query path.
    std::vector<PromptPair> pairs;
    const int64_t A = 1, B = 2, D = 9;
    for (int64_t shift = 0; shift < 2; ++shift) {
        const std::vector<int64_t> clean{3 + shift, 5, A, B, 6, 7 - shift, A};
        auto firstA = clean, secondB = clean, lastA = clean;
        firstA[2] = D;
        secondB[3] = D;
        lastA[6] = D;
        pairs.push_back(pair(clean, firstA, B, clean[0]));
        pairs.push_back(pair(clean, secondB, B, D));
        pairs.push_back(pair(clean, lastA, B, clean[0]));
    }
    expectRecovered(*model, pairs,
                    {"input->a0.h0<v>", "a0.h0->a1.h0<k>", "input->a1.h0<q>", "input->a1.h0<v>",
                     "a1.h0->logits"},
                    0.1);
}

TEST(KnownCircuits, HeadCopiesTokenThatMlpMapsToAnswer) {
    auto model = emptyModel(1);
    // a0.h0 attends from every position to position 0 and moves its token; m0 maps moved token
    // t to output token (t + 3) mod V with one GELU unit per token.
    setHead(
        *model, 0, 2, 1,
        [](int64_t) {
            std::vector<int64_t> all;
            for (int64_t p = 0; p < kPositions; ++p)
                all.push_back(kPos + p);
            return all;
        },
        [](int64_t) { return one(kPos + 0); }, kTok, kMoved);
    {
        at::NoGradGuard noGrad;
        auto& block = model->block(0);
        const double c = normScale(3), gain = 20.0;
        for (int64_t t = 0; t < kVocab; ++t) {
            block.wIn[t][plus(kMoved + t)] = gain / c;
            block.bIn[t] = -gain / 2;
            writeFeature(block.wOut, kOut + (t + 3) % kVocab, t, 1.0 / (gain / 2));
        }
    }
    std::vector<PromptPair> pairs;
    for (int64_t x = 0; x < 4; ++x) {
        const int64_t y = x + 4;
        pairs.push_back(pair({x, 8, 9, 8}, {y, 8, 9, 8}, (x + 3) % kVocab, (y + 3) % kVocab));
    }
    expectRecovered(*model, pairs, {"input->a0.h0<v>", "a0.h0->m0", "m0->logits"}, 0.1);
}

}  // namespace
}  // namespace attnscope::analysis::circuits
