#include "attnscope/analysis/dataset.h"

#include <fstream>

#include "attnscope/capture/load_error.h"

namespace attnscope::analysis {

DataItem dataItemFromJsonLine(const std::string& line, const std::string& where) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
        throw capture::InputError(where + ": not valid JSON: " + e.what());
    }
    if (!j.is_object()) throw capture::InputError(where + ": each line must be a JSON object");
    DataItem item;
    // "clean": the prompt of a circuit pair file ({"clean", "corrupted", "answer", "wrong"}).
    for (const char* key : {"text", "prompt", "input", "clean"})
        if (j.contains(key) && j[key].is_string()) {
            item.text = j[key].get<std::string>();
            break;
        }
    if (j.contains("ids") &&
        (!j["ids"].is_array() || !std::all_of(j["ids"].begin(), j["ids"].end(),
                                              [](const auto& v) { return v.is_number_integer(); })))
        throw capture::InputError(where + ": \"ids\" must be a list of integers");
    if (item.text.empty() && !j.contains("ids"))
        throw capture::InputError(
            where + ": no \"text\", \"prompt\", \"input\", \"clean\" or \"ids\" field");
    item.fields = j;
    return item;
}

Dataset loadDataset(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) throw capture::InputError(path.string() + ": cannot open dataset");
    Dataset data;
    data.description = path.filename().string();
    const bool jsonl = path.extension() == ".jsonl";
    std::string line;
    for (int lineNo = 1; std::getline(in, line); ++lineNo) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        if (!jsonl) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            data.items.push_back({line, nlohmann::json::object()});
            continue;
        }
        data.items.push_back(
            dataItemFromJsonLine(line, path.string() + ":" + std::to_string(lineNo)));
    }
    if (data.items.empty()) throw capture::InputError(path.string() + ": the dataset is empty");
    data.description += " (" + std::to_string(data.items.size()) + " items)";
    return data;
}

Dataset datasetFromJsonLines(const std::vector<std::string>& lines, std::string description) {
    Dataset d;
    d.description = std::move(description);
    for (size_t i = 0; i < lines.size(); ++i)
        d.items.push_back(
            dataItemFromJsonLine(lines[i], d.description + "[" + std::to_string(i) + "]"));
    return d;
}

Dataset datasetFromTexts(const std::vector<std::string>& texts, std::string description) {
    Dataset d;
    d.description = std::move(description);
    for (const auto& t : texts)
        d.items.push_back({t, nlohmann::json::object()});
    return d;
}

}  // namespace attnscope::analysis
