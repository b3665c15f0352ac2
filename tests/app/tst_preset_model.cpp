// The preset gallery model: discovery, grouping by topic in course order, invalid files shown but disabled.
#include "preset_model.h"

#include <QAbstractItemModelTester>
#include <QTemporaryDir>
#include <QTest>

using namespace clab::app;

class TestPresetModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void tester();
    void groupsByTopicInCourseOrder();
    void invalidPresetIsDisabledWithItsError();
    void earlierDirectoryWins();
    void shippedPresetsLoad();
    void lookups();

private:
    QString fixtures() const { return QFINDTESTDATA("fixtures/presets"); }
};

void TestPresetModel::tester()
{
    PresetModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setPresets(scanPresets({fixtures()}));
    QCOMPARE(model.presetCount(), 5);
    model.setPresets({});
    QCOMPARE(model.rowCount(), 0);
}

void TestPresetModel::groupsByTopicInCourseOrder()
{
    PresetModel model;
    model.setPresets(scanPresets({fixtures()}));
    QStringList topics;
    for (int r = 0; r < model.rowCount(); ++r)
        topics << model.index(r, 0).data().toString();
    // Course order: Critical sections before Locks; unknown topics ("Other") after them.
    QCOMPARE(topics, (QStringList{QStringLiteral("Critical sections"), QStringLiteral("Locks"), QStringLiteral("Other")}));
    const QModelIndex locks = model.index(1, 0);
    QCOMPARE(model.rowCount(locks), 2);
    QCOMPARE(model.rowCount(model.index(2, 0)), 2); // an unloadable file has no topic: it goes under Other
}

void TestPresetModel::invalidPresetIsDisabledWithItsError()
{
    PresetModel model;
    model.setPresets(scanPresets({fixtures()}));
    const QModelIndex other = model.index(2, 0);
    bool found = false;
    for (int r = 0; r < model.rowCount(other); ++r) {
        const QModelIndex i = model.index(r, 0, other);
        if (i.data(PresetModel::IdRole).toString() != QLatin1String("broken"))
            continue;
        found = true;
        QVERIFY(!(model.flags(i) & Qt::ItemIsEnabled));
        QVERIFY(i.data(PresetModel::ErrorRole).toString().contains(QStringLiteral("workers")));
        QVERIFY(model.preset(i) && !model.preset(i)->spec);
    }
    QVERIFY(found);
}

void TestPresetModel::earlierDirectoryWins()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(QFile::copy(fixtures() + QStringLiteral("/spin-two.cclab"), dir.filePath(QStringLiteral("mutex-four.cclab"))));
    const auto presets = scanPresets({dir.path(), fixtures()});
    const auto it = std::find_if(presets.begin(), presets.end(), [](const PresetEntry &e) { return e.id == QLatin1String("mutex-four"); });
    QVERIFY(it != presets.end());
    QCOMPARE(it->name, QStringLiteral("Spinlock pair"));
    QCOMPARE(presets.size(), std::size_t{5});
}

void TestPresetModel::shippedPresetsLoad()
{
    // Every preset the app ships must load: the gallery shows them all.
    const QString dir = qEnvironmentVariable("CLAB_PRESETS_DIR");
    if (dir.isEmpty())
        QSKIP("CLAB_PRESETS_DIR is not set (CTest sets it to resources/presets)");
    const auto presets = scanPresets({dir});
    QVERIFY(!presets.empty());
    for (const PresetEntry &e : presets)
        QVERIFY2(e.error.isEmpty(), qPrintable(e.id + QStringLiteral(": ") + e.error));
}

void TestPresetModel::lookups()
{
    PresetModel model;
    model.setPresets(scanPresets({fixtures()}));
    const QModelIndex i = model.indexOfId(QStringLiteral("unguarded"));
    QVERIFY(i.isValid());
    QCOMPARE(i.data().toString(), QStringLiteral("Unguarded counter"));
    QCOMPARE(i.data(PresetModel::DescriptionRole).toString(), QStringLiteral("No guard at all."));
    QCOMPARE(model.indexOfPath(fixtures() + QStringLiteral("/unguarded.cclab")), i);
    QVERIFY(!model.indexOfId(QStringLiteral("nope")).isValid());
    QVERIFY(!model.preset(model.index(0, 0))); // a topic is not a preset
}

QTEST_GUILESS_MAIN(TestPresetModel)
#include "tst_preset_model.moc"
