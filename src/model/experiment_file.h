// The experiment file format (.cclab, JSON): loading with full validation, migration from older schemas, saving.
#pragma once

#include "experiment_spec.h"

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <string>

namespace clab::model {

// Version written by serializeExperiment; files of older versions are migrated on load, newer ones refused.
constexpr int kExperimentSchemaVersion = 1;
// Value of the "format" key that marks a file as ours.
inline constexpr char kExperimentFormat[] = "concurrency-lab";
// Experiment files are small; anything larger is not one, and reading it whole would waste memory.
constexpr qint64 kMaxExperimentFileBytes = qint64{4} * 1024 * 1024;
// A sweep (variants × the sweep axes) may give at most this many points.
constexpr int kMaxSweepPoints = 1000;

// One problem with one field. `path` is the JSON path ("workers", "workload.criticalSection",
// "placement[1]"); empty for problems with the file as a whole.
struct FieldError {
    QString path;
    QString message;

    QString toString() const; // "path: message", or just the message when path is empty
    bool operator==(const FieldError &) const = default;
};

struct ExperimentLoad {
    // Set only when there are no errors: a file with any problem loads nothing.
    std::optional<clab::ExperimentSpec> spec;
    QList<FieldError> errors;
    // Schema version the file was written in when it had to be migrated (e.g. 0), else -1.
    // The app uses it to say "saved in an older format; saving will update it".
    int migratedFromVersion = -1;
    // File name (or other source name) the errors are reported against; may be empty.
    QString source;

    bool ok() const { return spec.has_value() && errors.isEmpty(); }
    // One error per line, each prefixed "SOURCE: " when the source is known.
    QString errorText() const;
};

// Parses experiment JSON; sourceName only labels the errors.
ExperimentLoad parseExperiment(const QByteArray &json, const QString &sourceName = {});
// Reads and parses an experiment file; file-level problems (missing, a directory, too large,
// not UTF-8, not JSON) are reported as errors naming the file, never thrown.
ExperimentLoad loadExperiment(const QString &path);
// Validates an already parsed experiment object (used for the experiment embedded in result files).
ExperimentLoad experimentFromJson(const QJsonObject &object, const QString &sourceName = {});

// The same rules the parser applies, on the struct, with the same paths as the JSON, so the
// editor can show each error beside its field. Includes the sweep: its shape, and every point it
// gives validated as a whole experiment.
QList<FieldError> validateExperiment(const clab::ExperimentSpec &spec);

// One experiment of a sweep.
struct SweepPoint {
    // The variant's label, then "parameter=value" for each sweep axis, joined with ", "
    // (e.g. "single process, primitive.messageSize=4 KiB"); empty when there is no sweep.
    QString label;
    // JSON path -> value: the variant's "set" entries first, then one per sweep axis.
    QList<QPair<QString, QJsonValue>> values;
    // Fully validated, without variants or sweep.
    clab::ExperimentSpec spec;
};

// Points = variants (or one unnamed variant when there are none) × the cartesian product of the
// sweep axes, the first axis varying slowest. Each point is the base experiment with the values
// written at their JSON paths, validated as a whole experiment. Without a sweep: one point with
// an empty label and no values whose spec is the experiment itself (variants/sweep cleared).
// On any error returns no points and sets *errors (each naming where the bad value came from:
// "sweep[1].values[0]", "variants[0].set.workers").
QList<SweepPoint> expandSweep(const clab::ExperimentSpec &spec, QList<FieldError> *errors);

// Command-line overrides (the runner's repeatable --set PATH=VALUE), applied to the base
// experiment (every sweep point sees them). VALUE is read as JSON when it parses as one JSON
// value, else taken as a string: --set duration=0.2, --set duration="200 ms" and
// --set primitive.transport=pipe all work. PATH is a JSON path as in sweeps. Errors name
// "--set PATH"; the result is validated like a loaded file.
std::optional<clab::ExperimentSpec> applyOverrides(const clab::ExperimentSpec &spec,
                                                   const QList<QPair<QString, QString>> &overrides,
                                                   QList<FieldError> *errors);

// Applies the migration chain, one step per version, from fromVersion up to
// kExperimentSchemaVersion. Steps only rename and convert; validation happens afterwards, so a
// bad value in an old file is still reported (under its new name).
QJsonObject migrateExperiment(QJsonObject object, int fromVersion);

// Writes only the parameters of the experiment's own family (see docs/file-formats.md).
QJsonObject experimentToJson(const clab::ExperimentSpec &spec);
// Indented JSON with a stable, human-friendly key order (format, schemaVersion, name, topic,
// description, prediction, execution, workers, duration|operations, warmup, sampleInterval,
// placement, primitive, workload, variants, sweep) and a trailing newline.
QByteArray serializeExperiment(const clab::ExperimentSpec &spec);
// Atomic (temporary file + rename): on any failure the previous file is untouched. Refuses
// invalid experiments. *error (if given) names the path.
bool saveExperiment(const clab::ExperimentSpec &spec, const QString &path, QString *error);

// "100 ns", "2 s", "1.5 ms": the largest unit that keeps the value an integer or a decimal with
// at most three places.
QString formatDuration(std::uint64_t ns);
// A JSON number (seconds) or a string "<number> <unit>" (ns, us, µs, ms, s, min; space optional),
// rounded to the nearest nanosecond. On failure returns nullopt and sets *error (without a path).
std::optional<std::uint64_t> parseDuration(const QJsonValue &value, QString *error);

// "64 B", "4 KiB", "1.5 MiB", "1 GiB": the largest binary unit that keeps the value an integer or
// a decimal with at most three places.
QString formatByteSize(std::uint64_t bytes);
// A JSON integer (bytes) or a string "<number> <unit>" (B, KiB, MiB, GiB, and the powers of ten
// kB, MB, GB; space optional) that is a whole number of bytes. On failure returns nullopt and
// sets *error (without a path).
std::optional<std::uint64_t> parseByteSize(const QJsonValue &value, QString *error);

// A value as `--set PATH=VALUE` (and the editor's lists of swept values) read it: JSON when the
// text is one JSON value (`4`, `true`, `"a b"`, `[0,1]`), else the text itself as a string.
QJsonValue overrideValue(const QString &text);

namespace detail {
// Shared by the experiment and result formats.

// Key order for objects, by object path: "" is the top level, "primitive" a nested object,
// "workers[]" the elements of an array. Keys not listed follow in alphabetical order.
using KeyOrder = QHash<QString, QStringList>;
// Indented (4 spaces) JSON honouring `order`; arrays of scalars stay on one line.
QByteArray writeJson(const QJsonObject &object, const KeyOrder &order);

// Reads a JSON object from a file with all file-level checks (exists, regular file, size limit,
// UTF-8, JSON syntax with line and column, top level is an object). On failure returns false
// and sets *error to a message without the file name.
bool readFileBytes(const QString &path, qint64 maxBytes, QByteArray *bytes, QString *error);
bool readJsonObjectFile(const QString &path, qint64 maxBytes, QJsonObject *object, QString *error);
bool parseJsonObject(const QByteArray &bytes, QJsonObject *object, QString *error);

// Writes bytes atomically with QSaveFile; *error names the path.
bool writeFileAtomically(const QString &path, const QByteArray &bytes, QString *error);

// Key order of an experiment object placed at `prefix` ("" for an experiment file).
KeyOrder experimentKeyOrder(const QString &prefix);

// Short JSON rendering of a value for messages: strings quoted, long values shortened.
QString describeJson(const QJsonValue &value);

// Compact JSON text of any value (as stored in ExperimentSpec's variants and sweep), and back.
std::string jsonText(const QJsonValue &value);
std::optional<QJsonValue> parseJsonText(const std::string &text);
} // namespace detail

} // namespace clab::model
