// The result file (JSON) and the samples export (CSV): save a run, reopen and re-plot it without running.
#pragma once

#include "experiment_file.h"
#include "experiment_spec.h"
#include "run_result.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
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

struct ResultLoad {
    std::optional<clab::ExperimentSpec> spec;
    std::optional<clab::RunResult> result;
    QString error; // empty on success; otherwise one problem per line, prefixed with the file name

    bool ok() const { return spec.has_value() && result.has_value() && error.isEmpty(); }
};

// The whole result document: experiment, machine, run, totals, counter check, workers, series.
// Times are seconds and sizes bytes (SI); counters are JSON integers (exact below 2^63).
QJsonObject resultToJson(const clab::ExperimentSpec &spec, const clab::RunResult &r);
// resultToJson, indented with a stable key order. Atomic (temporary file + rename).
bool saveResult(const clab::ExperimentSpec &spec, const clab::RunResult &r, const QString &path, QString *error);
// Tidy CSV, one row per sample, columns as sampleColumns(). Atomic.
bool saveSamplesCsv(const clab::RunResult &r, const QString &path, QString *error);
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
