#include "attnscope/analysis/needle_retrieval.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "attnscope/analysis/needle_haystack.h"
#include "attnscope/analysis/rouge.h"
#include "attnscope/capture/hook_registry.h"
#include "attnscope/capture/kv_cache.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/tokenizer.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::analysis {
namespace {

std::vector<int> toInt(const std::vector<int64_t>& ids) {
    return std::vector<int>(ids.begin(), ids.end());
}

std::vector<int64_t> toInt64(const std::vector<int>& ids) {
    return std::vector<int64_t>(ids.begin(), ids.end());
}

std::size_t wordCount(const std::string& text) {
    std::istringstream in(text);
    std::size_t n = 0;
    for (std::string w; in >> w;)
        ++n;
    return n;
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t pos = s.find(from); pos != std::string::npos;
         pos = s.find(from, pos + to.size()))
        s.replace(pos, from.size(), to);
    return s;
}

std::string strip(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\n\r\f\v");
    if (b == std::string::npos) return "";
    const auto e = s.find_last_not_of(" \t\n\r\f\v");
    return s.substr(b, e - b + 1);
}

at::Tensor row(const std::vector<int64_t>& ids) {
    return at::tensor(ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0);
}

}  // namespace

NeedleInstance buildNeedleInstance(const capture::Tokenizer& tok, const NeedleCase& needle,
                                   long long contextLength, long long depthPercent,
                                   const NeedlePromptOptions& options) {
    if (wordCount(needle.haystack) == 0)
        throw capture::InputError("needle case has an empty haystack");
    if (strip(needle.needle).empty() || strip(needle.realNeedle).empty())
        throw capture::InputError("needle case needs a needle and a real_needle");
    // The quirk encodes every chunk with BOS; the clean version encodes plain text.
    const bool special = options.compatReference;
    // 1. Repeat the haystack until it has enough words.
    const auto words = static_cast<std::size_t>(
        std::max<long long>(options.haystackWords > 0 ? options.haystackWords : contextLength, 1));
    std::string text;
    while (wordCount(text) < words) {
        if (!text.empty() && !std::isspace(static_cast<unsigned char>(text.back()))) text += ' ';
        text += needle.haystack;
    }
    // 2. Tokenize, keep the first `contextLength` tokens, decode back to text.
    auto ctxIds = tok.encode(text, special).ids;
    if (static_cast<long long>(ctxIds.size()) > contextLength)
        ctxIds.resize(static_cast<std::size_t>(std::max<long long>(contextLength, 0)));
    const std::string trimmed = tok.decode(ctxIds, !special);
    // 3-4. Re-tokenize context and needle and insert with the period back-off.
    const auto context = tok.encode(trimmed, special).ids;
    const auto needleIds = tok.encode(needle.needle, special).ids;
    const auto periodIds = tok.encode(".", false).ids;
    const NeedleInsertion ins = insertNeedle(
        toInt(context), toInt(needleIds), static_cast<double>(depthPercent), contextLength,
        std::set<int>(periodIds.begin(), periodIds.end()), options.buffer);
    const std::string contextText = tok.decode(toInt64(ins.ids), !special);
    // 5. The prompt, encoded with BOS.
    std::string prompt = replaceAll(needle.promptTemplate, "{question}", needle.question);
    prompt = replaceAll(prompt, "{context}", contextText);
    NeedleInstance out;
    out.ids = tok.encode(prompt, true).ids;
    const auto real = tok.encode(needle.realNeedle, false).ids;
    if (real.empty()) throw capture::InputError("real_needle encodes to no tokens");
    out.span = findNeedleSpan(toInt(out.ids), toInt(real));
    out.realNeedle = needle.realNeedle;
    out.length = contextLength;
    out.depth = depthPercent;
    return out;
}

std::vector<NeedleInstance> buildNeedleGrid(const capture::Tokenizer& tokenizer,
                                            const std::vector<NeedleCase>& cases,
                                            const std::vector<long long>& lengths,
                                            const std::vector<long long>& depths,
                                            const NeedlePromptOptions& options) {
    std::vector<NeedleInstance> out;
    NeedlePromptOptions o = options;
    if (o.haystackWords <= 0 && !lengths.empty())
        o.haystackWords = *std::max_element(lengths.begin(), lengths.end());
    for (const auto& c : cases)
        for (long long len : lengths)
            for (long long depth : depths)
                out.push_back(buildNeedleInstance(tokenizer, c, len, depth, o));
    return out;
}

void addDecodeQueryMask(capture::HookScope& scope, const capture::TransformerModel& model,
                        const std::vector<HeadId>& heads) {
    const auto& c = model.config();
    std::map<int, std::vector<int64_t>> byLayer;
    for (const auto& h : heads) {
        if (h.layer < 0 || h.layer >= c.nLayers || h.head < 0 || h.head >= c.nHeads)
            throw capture::InputError("cannot mask head L" + std::to_string(h.layer) + "H" +
                                      std::to_string(h.head) + ": the model has " +
                                      std::to_string(c.nLayers) + " layers of " +
                                      std::to_string(c.nHeads) + " heads");
        byLayer[h.layer].push_back(h.head);
    }
    for (const auto& [layer, list] : byLayer) {
        auto mask = at::zeros({c.nHeads}, at::TensorOptions().dtype(at::kBool));
        for (int64_t h : list)
            mask[h] = true;
        mask = mask.view({1, 1, c.nHeads, 1});
        scope.add("blocks." + std::to_string(layer) + ".attn.hook_q",
                  [mask](at::Tensor& q, const capture::HookContext& ctx) {
                      // q [batch, pos, head, d_head]; only cached decode steps are masked.
                      if (ctx.positionOffset == 0) return;
                      q = q.masked_fill(mask.to(q.device()), 0.0);
                  });
    }
}

NeedleDecode decodeNeedle(capture::TransformerModel& model, const capture::Tokenizer* tokenizer,
                          const NeedleInstance& instance, const NeedleDecodeOptions& options,
                          RetrievalScoreAccumulator* scores, const capture::Progress& progress) {
    const auto& c = model.config();
    const auto& P = instance.ids;
    const auto n = static_cast<int64_t>(P.size());
    if (n < 2) throw capture::InputError("a needle prompt needs at least 2 tokens");
    if (n + options.maxNewTokens - 1 > c.maxPositions)
        throw capture::InputError("needle prompt of " + std::to_string(n) + " tokens plus " +
                                  std::to_string(options.maxNewTokens) +
                                  " new tokens exceeds the model's context of " +
                                  std::to_string(c.maxPositions));
    const int layers = static_cast<int>(c.nLayers), heads = static_cast<int>(c.nHeads);
    at::NoGradGuard noGrad;
    capture::KvCache cache(c.nLayers);
    capture::ForwardOptions fo;
    fo.cache = &cache;
    // Prefill P[0..N-2] without any hook: no T×T pattern is materialised at long context.
    model.forward(row(std::vector<int64_t>(P.begin(), P.end() - 1)), fo);

    capture::HookScope scope(model.hooks());
    addDecodeQueryMask(scope, model, options.maskedHeads);  // before captures: they see it
    std::vector<at::Tensor> stepRows(static_cast<std::size_t>(layers));  // [head, key]
    if (scores) {
        for (int l = 0; l < layers; ++l)
            scope.add("blocks." + std::to_string(l) + ".attn.hook_pattern",
                      [&stepRows, l](at::Tensor& p, const capture::HookContext&) {
                          // p [batch, head, 1, keys]: the row of the token fed at this step.
                          stepRows[static_cast<std::size_t>(l)] =
                              p[0].select(1, p.size(2) - 1).to(at::kCPU, at::kFloat).contiguous();
                      });
        scores->beginInstance(toInt(P), instance.span);
    }
    const std::set<int64_t> stops(options.stopTokens.begin(), options.stopTokens.end());
    NeedleDecode out;
    int64_t next = P.back();
    std::vector<Eigen::VectorXf> rows(static_cast<std::size_t>(layers * heads));
    for (int64_t step = 0; step < options.maxNewTokens; ++step) {
        progress.check();
        const at::Tensor logits = model.forward(row({next}), fo)[0][-1];
        const int64_t w = logits.argmax().item<int64_t>();
        if (scores) {
            for (int l = 0; l < layers; ++l) {
                const at::Tensor& r = stepRows[static_cast<std::size_t>(l)];
                const int64_t keys = r.size(1);
                for (int h = 0; h < heads; ++h)
                    rows[static_cast<std::size_t>(l * heads + h)] =
                        Eigen::Map<const Eigen::VectorXf>(r[h].data_ptr<float>(), keys);
            }
            scores->addStep(rows, static_cast<int>(w));
        }
        out.generated.push_back(w);
        if (stops.count(w) != 0) break;
        next = w;
    }
    if (tokenizer) {
        out.response = strip(tokenizer->decode(out.generated, true));
    } else {
        std::string s;
        for (int64_t id : out.generated)
            s += (s.empty() ? "" : " ") + std::to_string(id);
        out.response = s;
    }
    out.recallPercent = rouge1(instance.realNeedle, out.response, true).recall * 100.0;
    if (scores) scores->endInstance(out.recallPercent);
    return out;
}

RecallGrid decodeNeedleGrid(capture::TransformerModel& model, const capture::Tokenizer* tokenizer,
                            const std::vector<NeedleInstance>& instances,
                            const NeedleDecodeOptions& options, RetrievalScoreAccumulator* scores,
                            const capture::Progress& progress) {
    RecallGrid g;
    std::set<long long> lengths, depths;
    for (const auto& i : instances) {
        lengths.insert(i.length);
        depths.insert(i.depth);
    }
    g.lengths.assign(lengths.begin(), lengths.end());
    g.depths.assign(depths.begin(), depths.end());
    const std::size_t cols = g.depths.size();
    std::vector<double> sum(g.lengths.size() * cols, 0.0), count(sum.size(), 0.0);
    double total = 0;
    for (std::size_t k = 0; k < instances.size(); ++k) {
        progress.check();
        const auto& inst = instances[k];
        const double r =
            decodeNeedle(model, tokenizer, inst, options, scores, progress).recallPercent;
        g.perInstance.push_back(r);
        total += r;
        const auto li = static_cast<std::size_t>(
            std::lower_bound(g.lengths.begin(), g.lengths.end(), inst.length) - g.lengths.begin());
        const auto di = static_cast<std::size_t>(
            std::lower_bound(g.depths.begin(), g.depths.end(), inst.depth) - g.depths.begin());
        sum[li * cols + di] += r;
        count[li * cols + di] += 1;
        progress.report(
            double(k + 1) / double(instances.size()),
            "needle " + std::to_string(k + 1) + " of " + std::to_string(instances.size()));
    }
    g.recall.resize(sum.size());
    for (std::size_t i = 0; i < sum.size(); ++i)
        g.recall[i] = count[i] > 0 ? sum[i] / count[i] : std::numeric_limits<double>::quiet_NaN();
    g.meanRecall = g.perInstance.empty() ? std::numeric_limits<double>::quiet_NaN()
                                         : total / static_cast<double>(g.perInstance.size());
    return g;
}

std::vector<int64_t> parseStopTokens(const std::string& spec,
                                     const capture::TransformerModel& model,
                                     const capture::Tokenizer* tokenizer) {
    std::vector<int64_t> out;
    std::stringstream in(spec);
    for (std::string item; std::getline(in, item, ',');) {
        item = strip(item);
        if (item.empty()) continue;
        if (item == "eos") {
            // Absent EOS or newline tokens are skipped: the default spec names both.
            if (model.config().eosTokenId)
                out.push_back(*model.config().eosTokenId);
            else if (tokenizer && tokenizer->eosId())
                out.push_back(*tokenizer->eosId());
        } else if (item == "newline") {
            if (!tokenizer) continue;
            for (const char* name : {"<0x0A>", "\n", "\xC4\x8A"})
                if (auto id = tokenizer->tokenToId(name)) {
                    out.push_back(*id);
                    break;
                }
        } else if (std::all_of(item.begin(), item.end(), ::isdigit)) {
            out.push_back(std::stoll(item));
        } else {
            std::optional<int64_t> id = tokenizer ? tokenizer->tokenToId(item) : std::nullopt;
            if (!id)
                throw capture::InputError("stop token '" + item +
                                          "' is not in the vocabulary (use eos, newline, an id "
                                          "or a vocabulary token)");
            out.push_back(*id);
        }
    }
    return out;
}

}  // namespace attnscope::analysis
