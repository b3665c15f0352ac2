// Every shipped preset runs headless through the real runner, shortened, and its result holds
// the quantities its experiment family must report.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

class TestPresets : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static QJsonObject readJson(const QString &path)
    {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return {};
        return QJsonDocument::fromJson(f.readAll()).object();
    }

    // Checks one point's (or a single run's) result object.
    static void checkRun(const QJsonObject &r, const QString &kind, const QString &where)
    {
        const QJsonObject run = r.value(QStringLiteral("run")).toObject();
        QVERIFY2(run.value(QStringLiteral("status")).toString() == QLatin1String("finished"),
                 qPrintable(where + QStringLiteral(": ") + run.value(QStringLiteral("error")).toString()));
        const QJsonArray workers = r.value(QStringLiteral("workers")).toArray();
        QVERIFY2(!workers.isEmpty(), qPrintable(where));
        for (const QJsonValue &v : workers) {
            const QJsonObject w = v.toObject();
            QVERIFY2(w.value(QStringLiteral("exitState")).toString() == QLatin1String("finished"), qPrintable(where));
            QVERIFY2(w.contains(QStringLiteral("cpusSeen")) && !w.value(QStringLiteral("cpusSeen")).toArray().isEmpty(),
                     qPrintable(where + QStringLiteral(": the CPUs a worker ran on are recorded")));
        }
        const QJsonObject totals = r.value(QStringLiteral("totals")).toObject();
        QVERIFY2(totals.value(QStringLiteral("ops")).toInteger() > 0, qPrintable(where + QStringLiteral(": no operation")));
        for (const QJsonValue &c : r.value(QStringLiteral("checks")).toArray()) {
            const QJsonObject check = c.toObject();
            QVERIFY2(check.value(QStringLiteral("passed")).toBool(),
                     qPrintable(where + QStringLiteral(": check failed: ") + check.value(QStringLiteral("description")).toString() +
                                QStringLiteral(" ") + check.value(QStringLiteral("detail")).toString()));
        }
        // What each family must report beside the standard figures.
        if (kind == QLatin1String("lock-contention") || kind == QLatin1String("shared-value"))
            QVERIFY2(r.contains(QStringLiteral("counter")) || !r.value(QStringLiteral("figures")).toArray().isEmpty(),
                     qPrintable(where + QStringLiteral(": expected vs actual is reported")));
        if (kind == QLatin1String("message-passing") || kind == QLatin1String("event"))
            QVERIFY2(totals.value(QStringLiteral("latency")).toObject().value(QStringLiteral("count")).toInteger() > 0 ||
                         totals.value(QStringLiteral("bytesPerSecond")).toDouble() > 0,
                     qPrintable(where + QStringLiteral(": latency or bytes are measured")));
        if (kind == QLatin1String("semaphore") || kind == QLatin1String("work") || kind == QLatin1String("event") ||
            kind == QLatin1String("sync") || kind == QLatin1String("thread-lifecycle") || kind == QLatin1String("message-passing"))
            QVERIFY2(!r.value(QStringLiteral("figures")).toArray().isEmpty() || !r.value(QStringLiteral("checks")).toArray().isEmpty(),
                     qPrintable(where + QStringLiteral(": the family's own figures are reported")));
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void preset_data()
    {
        QTest::addColumn<QString>("path");
        const QString dir = qEnvironmentVariable("CLAB_PRESETS_DIR");
        if (dir.isEmpty())
            QSKIP("CLAB_PRESETS_DIR is not set (CTest sets it)");
        const QFileInfoList files = QDir(dir).entryInfoList({QStringLiteral("*.cclab")}, QDir::Files, QDir::Name);
        QVERIFY(!files.isEmpty());
        for (const QFileInfo &fi : files)
            QTest::addRow("%s", qPrintable(fi.completeBaseName())) << fi.absoluteFilePath();
    }

    void preset()
    {
        QFETCH(QString, path);
        const QJsonObject experiment = readJson(path);
        QVERIFY2(!experiment.isEmpty(), qPrintable(path));
        for (const char *key : {"name", "topic", "description", "prediction"})
            QVERIFY2(!experiment.value(QLatin1String(key)).toString().isEmpty(),
                     qPrintable(QStringLiteral("a preset says what it shows: %1 is missing").arg(QLatin1String(key))));
        const QString kind = experiment.value(QStringLiteral("primitive")).toObject().value(QStringLiteral("kind")).toString();

        // Shorten the run: a short measured phase per point, or fewer operations.
        QStringList args{QStringLiteral("run"), path, QStringLiteral("--progress"), QStringLiteral("none"),
                         QStringLiteral("--set"), QStringLiteral("warmup=0")};
        if (experiment.contains(QStringLiteral("operations"))) {
            const qint64 ops = experiment.value(QStringLiteral("operations")).toInteger();
            args << QStringLiteral("--set") << QStringLiteral("operations=%1").arg(std::max<qint64>(1, ops / 20));
        } else {
            args << QStringLiteral("--set") << QStringLiteral("duration=\"150 ms\"");
        }
        const QString out = m_dir.filePath(QFileInfo(path).completeBaseName() + QStringLiteral(".json"));
        args << QStringLiteral("--out") << out;
        QProcess p;
        p.start(qEnvironmentVariable("CLAB_RUNNER"), args);
        QVERIFY(p.waitForStarted());
        QVERIFY2(p.waitForFinished(60'000), "a shortened preset must finish within a minute");
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());

        const QJsonObject result = readJson(out);
        QCOMPARE(result.value(QStringLiteral("format")).toString(), QStringLiteral("concurrency-lab-result"));
        QVERIFY(result.contains(QStringLiteral("machine")));
        if (result.contains(QStringLiteral("points"))) {
            const QJsonArray points = result.value(QStringLiteral("points")).toArray();
            QVERIFY(!points.isEmpty());
            for (const QJsonValue &pt : points)
                checkRun(pt.toObject(), kind, pt.toObject().value(QStringLiteral("label")).toString());
        } else {
            checkRun(result, kind, QFileInfo(path).completeBaseName());
        }
    }
};

QTEST_GUILESS_MAIN(TestPresets)
#include "tst_presets.moc"
