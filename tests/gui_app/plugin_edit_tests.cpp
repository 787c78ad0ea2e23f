// A plugin attention edit in the window's edit list: it is offered by the Interventions dock,
// the next run shows the edited head's map as the plugin's function of the unedited one
// (computed here independently), undo removes it, and a bad parameter is reported naming the
// key while the window carries on.
#include <ATen/ATen.h>  // LibTorch before Qt
#include <gtest/gtest.h>

#include <QPushButton>
#include <QUndoStack>

#include <cmath>

#include "attnscope/analysis/metric.h"
#include "attnscope/plugins/plugin_host.h"
#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/intervention_kinds.h"
#include "attnscope/ui/intervention_list_model.h"
#include "attnscope/ui/interventions_panel.h"
#include "attnscope/ui/main_window.h"
#include "attnscope/ui/metric_descriptor.h"
#include "test_helpers.h"

namespace attnscope::ui {
namespace {

using test::waitUntil;

constexpr double kTemperature = 4.0;

// The example plugins (attention_temperature.py declares plugin:temperature) for one test.
class PluginEditWindowTest : public test::AppModelTest {
protected:
    void SetUp() override {
        AppModelTest::SetUp();
        if (IsSkipped()) return;
        plugins::installPluginEdits();
        plugins::PluginHost::instance().load({(test::sourceDir() / "plugins" / "scripts").string()},
                                             analysis::MetricRegistry::global());
    }
    void TearDown() override {
        plugins::PluginHost::instance().load({}, analysis::MetricRegistry::global());
    }
};

// Each row p of a row-major square map → p^(1/T) renormalised (zeros stay zero).
std::vector<double> withTemperature(const std::vector<float>& map, int n, double t) {
    std::vector<double> out(map.size(), 0.0);
    for (int q = 0; q < n; ++q) {
        double sum = 0.0;
        for (int k = 0; k < n; ++k) {
            const float p = map[static_cast<size_t>(q * n + k)];
            if (p > 0) sum += out[static_cast<size_t>(q * n + k)] = std::pow(double(p), 1 / t);
        }
        for (int k = 0; k < n; ++k)
            out[static_cast<size_t>(q * n + k)] /= sum;
    }
    return out;
}

TEST_F(PluginEditWindowTest, PluginEditInTheEditListRewritesTheHeadAndUndoRemovesIt) {
    MainWindow w;
    ASSERT_TRUE(test::openAndRun(w, model));
    // The dock offers the edit the plugin declares.
    ASSERT_NE(w.interventionsPanel()->pluginEditButton(), nullptr);
    EXPECT_TRUE(w.interventionsPanel()->pluginEditButton()->isEnabled());
    const auto catalog = attentionEditCatalog();
    ASSERT_EQ(catalog.size(), 1u);
    EXPECT_EQ(catalog[0].name, QStringLiteral("plugin:temperature"));

    const int layer = std::min(1, w.controller()->lastRun()->layers - 1);
    const int head = 1;
    const auto before = w.controller()->lastRun()->map(layer, head);
    ASSERT_TRUE(before.isValid());
    const auto untouched = w.controller()->lastRun()->map(layer, 0);

    auto first = w.controller()->lastRun();
    w.addPluginEdit(QStringLiteral("temperature"), layer, head,
                    {{QStringLiteral("temperature"), QString::number(kTemperature)}});
    ASSERT_TRUE(waitUntil([&] { return w.controller()->lastRun() != first; }))
        << w.lastError().toStdString();
    ASSERT_EQ(w.interventionModel()->rowCount(), 1);
    EXPECT_EQ(w.interventionModel()->items()[0].kind, kinds::kPluginEdit);
    EXPECT_EQ(w.interventionModel()->items()[0].plugin, QStringLiteral("plugin:temperature"));
    EXPECT_TRUE(w.interventionModel()
                    ->index(0, InterventionListModel::ParamColumn)
                    .data()
                    .toString()
                    .contains(QStringLiteral("temperature=4")));

    const auto after = w.controller()->lastRun()->map(layer, head);
    const std::vector<double> expected = withTemperature(before.values, before.rows, kTemperature);
    ASSERT_EQ(after.values.size(), expected.size());
    double change = 0.0;
    for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_NEAR(after.values[i], expected[i], 1e-5) << "entry " << i;
        change = std::max(change, std::abs(double(after.values[i]) - before.values[i]));
    }
    EXPECT_GT(change, 0.01);
    EXPECT_EQ(w.controller()->lastRun()->map(layer, 0).values, untouched.values);

    // Undo: the edit leaves the list and the head's map is the model's own again.
    auto edited = w.controller()->lastRun();
    w.undoStack()->undo();
    ASSERT_TRUE(waitUntil([&] { return w.controller()->lastRun() != edited; }));
    EXPECT_EQ(w.interventionModel()->rowCount(), 0);
    EXPECT_LT(test::maxAbsDiff(w.controller()->lastRun()->map(layer, head).values, before.values),
              1e-6);
}

TEST_F(PluginEditWindowTest, BadParameterIsReportedNamingTheKeyAndTheWindowCarriesOn) {
    MainWindow w;
    ASSERT_TRUE(test::openAndRun(w, model));
    w.addPluginEdit(QStringLiteral("plugin:temperature"), 0, 0,
                    {{QStringLiteral("temperature"), QStringLiteral("0")}});
    ASSERT_TRUE(waitUntil([&] { return !w.lastError().isEmpty(); }));
    EXPECT_TRUE(w.lastError().contains(QStringLiteral("[0].params")))
        << w.lastError().toStdString();
    EXPECT_TRUE(w.lastError().contains(QStringLiteral("parameter 'temperature'")))
        << w.lastError().toStdString();
    // Undo the bad edit: the next run succeeds.
    auto last = w.controller()->lastRun();
    w.undoStack()->undo();
    ASSERT_TRUE(waitUntil([&] { return w.controller()->lastRun() != last; }))
        << w.lastError().toStdString();
    EXPECT_EQ(w.interventionModel()->rowCount(), 0);
}

}  // namespace
}  // namespace attnscope::ui
