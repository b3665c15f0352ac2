// The result file (JSON) and the samples export (CSV): save a run, reopen and re-plot it without running.
#pragma once

#include "experiment_file.h"
#include "experiment_spec.h"
#include "run_result.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace clab::model {

constexpr int kResultSchemaVersion = 1;
inline constexpr char kResultFormat[] = "concurrency-lab-result";
// Long runs sampled every 10 ms make files of hundreds of MiB; beyond this a file is refused
// rather than risk exhausting memory while parsing it.
constexpr qint64 kMaxResultFileBytes = qint64(1) << 30;

// One point of a sweep and its run.
struct PointResult {
    QString label;                             // SweepPoint::label
    QList<QPair<QString, QJsonValue>> values;  // SweepPoint::values: variant "set" entries, then the axes
    clab::ExperimentSpec spec;                 // the point's experiment (not written: the file holds the base)
    clab::RunResult result;
};

struct ResultLoad {
    // The experiment; for a sweep the base experiment, with its variants and sweep.
    std::optional<clab::ExperimentSpec> spec;
    // The run; for a sweep the first point's run (so code that shows one run shows the first).
    std::optional<clab::RunResult> result;
    // Empty for a single run. For a sweep, the points in the file's order, each with its label,
    // values and experiment taken from the base experiment's own expansion (expandSweep) and its
    // result (machine: the file's one "machine").
    std::vector<PointResult> points;
    QString error; // empty on success; otherwise one problem per line, prefixed with the file name

    bool ok() const { return spec.has_value() && result.has_value() && error.isEmpty(); }
    bool isSweep() const { return !points.empty(); }
};

// The whole result document: experiment, machine, run, totals, counter check, figures, checks,
// workers, series.
// Times are seconds and sizes bytes (SI); counters are JSON integers (exact below 2^63).
QJsonObject resultToJson(const clab::ExperimentSpec &spec, const clab::RunResult &r);
// resultToJson, indented with a stable key order. Atomic (temporary file + rename).
bool saveResult(const clab::ExperimentSpec &spec, const clab::RunResult &r, const QString &path, QString *error);
// Tidy CSV, one row per sample, columns as sampleColumns(). Atomic.
bool saveSamplesCsv(const clab::RunResult &r, const QString &path, QString *error);
// Sweeps: {"format", "schemaVersion", "experiment" (the base, with its sweep), "machine" (of the
// first point), "points": [{"label", "values", "run", "totals", "counter", "figures", "checks",
// "workers", "series"}]}. Atomic; refuses an empty list of points.
QJsonObject sweepResultToJson(const clab::ExperimentSpec &base, const std::vector<PointResult> &points);
bool saveSweepResult(const clab::ExperimentSpec &base, const std::vector<PointResult> &points, const QString &path,
                     QString *error);
// The samples of every point in one tidy table: "point" (0-based index) and "label" lead, then
// sampleColumns(). Atomic.
QStringList sweepSampleColumns();
QByteArray sweepSamplesCsv(const std::vector<PointResult> &points);
bool saveSweepSamplesCsv(const std::vector<PointResult> &points, const QString &path, QString *error);

// Speed-up of each point of a sweep over its baseline, the first variant's point with the same sweep
// values (points run variant-major, so the baseline of point p is point p % pointsPerVariant):
// total ops/s (metrics::totals) over the baseline's. NaN where there is none: the baseline measured
// nothing, or the point failed. One definition for the runner's summary and the app's scaling view.
std::vector<double> sweepSpeedUps(const std::vector<const clab::RunResult *> &results, std::size_t pointsPerVariant);

// Reads single-run and sweep files alike (a sweep fills ResultLoad::points).
ResultLoad loadResult(const QString &path);
ResultLoad parseResult(const QByteArray &json, const QString &sourceName = {});

// The sample table shared by the CSV and the "series" of the JSON file.
QStringList sampleColumns();
// One row per sample in the order of r.series: null cells are missing values (empty in CSV).
std::vector<QJsonArray> sampleRows(const clab::RunResult &r);
QByteArray samplesCsv(const clab::RunResult &r);

// "created", "running", "waiting", "holding", "io", "finished", "failed"; the number for others.
QString workerStateName(std::uint32_t state);

} // namespace clab::model
