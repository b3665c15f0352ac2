// Result files and the samples CSV: writing a run in SI units and reading it back for re-plotting.
#include "result_file.h"

#include "metrics.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QHash>
#include <QRegularExpression>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>

using namespace Qt::StringLiterals;

namespace clab::model {

namespace {

constexpr double kNsPerSecond = 1e9;
// Largest double strictly below 2^63: whole numbers under it convert to qint64 exactly.
constexpr double kBelowTwoTo63 = 9223372036854774784.0;
constexpr double kTwoTo64 = 18446744073709551616.0;

// JSON numbers are doubles to most readers; qint64 keeps counters exact below 2^63, which no
// real counter reaches (2^63 ns is 292 years). Larger values are clamped, not wrapped.
QJsonValue count(std::uint64_t v)
{
    return {static_cast<qint64>(std::min<std::uint64_t>(v, std::numeric_limits<qint64>::max()))};
}

QJsonValue seconds(std::uint64_t ns)
{
    return static_cast<double>(ns) / kNsPerSecond;
}

QJsonValue seconds(double ns)
{
    return ns / kNsPerSecond;
}

QString text(const std::string &s)
{
    return QString::fromStdString(s);
}

// ---------------------------------------------------------------------------------------------
// Time stamps: ISO 8601 UTC with all nine digits of the nanoseconds, so the file keeps the exact
// start time (Python's datetime.fromisoformat and pandas.Timestamp both read it).

QJsonValue isoTime(std::uint64_t realtimeNs)
{
    if (realtimeNs == 0)
        return QJsonValue::Null; // the run never reached its start gate
    const auto secs = static_cast<qint64>(realtimeNs / 1'000'000'000ULL);
    const auto frac = realtimeNs % 1'000'000'000ULL;
    const QDateTime t = QDateTime::fromSecsSinceEpoch(secs, Qt::UTC);
    return QString(t.toString(u"yyyy-MM-dd'T'HH:mm:ss"_s) + u'.' + QString::number(frac).rightJustified(9, u'0') +
                   u'Z');
}

std::optional<std::uint64_t> parseIsoTime(const QString &s)
{
    static const QRegularExpression re(
        u"^(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2})(?:\\.(\\d{1,9}))?(Z|\\+00:00)$"_s);
    const QRegularExpressionMatch m = re.match(s);
    if (!m.hasMatch())
        return std::nullopt;
    const QDateTime t = QDateTime::fromString(m.captured(1) + u'Z', Qt::ISODate);
    if (!t.isValid() || t.toSecsSinceEpoch() < 0)
        return std::nullopt;
    const std::uint64_t frac = m.captured(2).leftJustified(9, u'0').toULongLong();
    return static_cast<std::uint64_t>(t.toSecsSinceEpoch()) * 1'000'000'000ULL + frac;
}

// ---------------------------------------------------------------------------------------------
// Worker states

constexpr std::array<const char16_t *, 7> kStateNames{u"created", u"running",  u"waiting", u"holding",
                                                      u"io",      u"finished", u"failed"};

std::optional<std::uint32_t> stateFromName(const QString &s)
{
    for (std::size_t i = 0; i < kStateNames.size(); ++i) {
        if (s == QStringView(kStateNames[i]))
            return static_cast<std::uint32_t>(i);
    }
    bool ok = false;
    const uint n = s.toUInt(&ok);
    return ok ? std::optional<std::uint32_t>(n) : std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Columns of the sample table

enum Column : int {
    ColWorker,
    ColT,
    ColPhase,
    ColState,
    ColCpu,
    ColOps,
    ColOpsPerS,
    ColBytes,
    ColBytesPerS,
    ColWait,
    ColWaitFraction,
    ColHold,
    ColContended,
    ColContendedFraction,
    ColLatencyCount,
    ColLatencyMean,
    ColUser,
    ColSys,
    ColVolCsw,
    ColInvolCsw,
    ColGauge0,
    ColGauge1,
    ColumnCount
};

constexpr std::array<const char16_t *, ColumnCount> kColumnNames{u"worker",        u"t_s",
                                                                 u"phase",         u"state",
                                                                 u"cpu",           u"ops",
                                                                 u"ops_per_s",     u"bytes",
                                                                 u"bytes_per_s",   u"wait_s",
                                                                 u"wait_fraction", u"hold_s",
                                                                 u"contended",     u"contended_fraction",
                                                                 u"latency_count", u"latency_mean_s",
                                                                 u"user_s",        u"sys_s",
                                                                 u"voluntary_csw", u"involuntary_csw",
                                                                 u"gauge0",        u"gauge1"};

std::uint64_t delta(std::uint64_t after, std::uint64_t before)
{
    return after >= before ? after - before : 0; // a counter that went backwards changed by nothing
}

// ---------------------------------------------------------------------------------------------
// CSV cells

QByteArray csvNumber(const QJsonValue &v)
{
    const double d = v.toDouble();
    if (!std::isfinite(d))
        return {};
    if (d == std::trunc(d) && std::fabs(d) < kBelowTwoTo63)
        return QByteArray::number(v.toInteger());
    std::array<char, 64> buf{};
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), d); // shortest round-trip, '.' always
    return {buf.data(), static_cast<qsizetype>(res.ptr - buf.data())};
}

QByteArray csvCell(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Double:
        return csvNumber(v);
    case QJsonValue::String: {
        QByteArray s = v.toString().toUtf8();
        if (s.contains(',') || s.contains('"') || s.contains('\n') || s.contains('\r'))
            s = '"' + s.replace("\"", "\"\"") + '"';
        return s;
    }
    case QJsonValue::Bool:
        return v.toBool() ? QByteArrayLiteral("true") : QByteArrayLiteral("false");
    default:
        return {};
    }
}

QByteArray csvRow(const QJsonArray &row)
{
    QByteArray out;
    for (qsizetype i = 0; i < row.size(); ++i) {
        if (i > 0)
            out += ',';
        out += csvCell(row.at(i));
    }
    out += '\n';
    return out;
}

// ---------------------------------------------------------------------------------------------
// Reading: every problem is collected with its JSON path, like the experiment format does.

class Reader {
public:
    QStringList errors;
    int more = 0;

    void error(const QString &path, const QString &message)
    {
        // A damaged series could yield millions of errors; the first few say enough.
        if (errors.size() < 20)
            errors.append(path.isEmpty() ? message : path + u": "_s + message);
        else
            ++more;
    }

    QJsonValue get(const QJsonObject &o, const QString &key, const QString &prefix)
    {
        if (!o.contains(key))
            error(path(prefix, key), u"required"_s);
        return o.value(key);
    }

    static QString path(const QString &prefix, const QString &key)
    {
        return prefix.isEmpty() ? key : prefix + u'.' + key;
    }

    // A nested object; when it is missing or not an object that is one error, not one per field.
    std::optional<QJsonObject> section(const QJsonObject &o, const QString &key, const QString &prefix)
    {
        const QJsonValue v = get(o, key, prefix);
        if (v.isObject())
            return v.toObject();
        if (!v.isUndefined())
            error(path(prefix, key), u"must be an object, got "_s + detail::describeJson(v));
        return std::nullopt;
    }

    QJsonArray array(const QJsonValue &v, const QString &p)
    {
        if (!v.isUndefined() && !v.isArray())
            error(p, u"must be an array, got "_s + detail::describeJson(v));
        return v.toArray();
    }

    QString string(const QJsonObject &o, const QString &key, const QString &prefix)
    {
        const QJsonValue v = get(o, key, prefix);
        if (!v.isUndefined() && !v.isString())
            error(path(prefix, key), u"must be a string, got "_s + detail::describeJson(v));
        return v.toString();
    }

    bool boolean(const QJsonObject &o, const QString &key, const QString &prefix)
    {
        const QJsonValue v = get(o, key, prefix);
        if (!v.isUndefined() && !v.isBool())
            error(path(prefix, key), u"must be true or false, got "_s + detail::describeJson(v));
        return v.toBool();
    }

    std::uint64_t u64(const QJsonValue &v, const QString &p)
    {
        const double d = v.toDouble();
        if (v.isDouble() && d >= 0 && d == std::trunc(d) && d < kTwoTo64)
            return d < kBelowTwoTo63 ? static_cast<std::uint64_t>(v.toInteger()) : static_cast<std::uint64_t>(d);
        if (!v.isUndefined())
            error(p, u"must be a non-negative integer, got "_s + detail::describeJson(v));
        return 0;
    }
    std::uint64_t u64(const QJsonObject &o, const QString &key, const QString &prefix)
    {
        return u64(get(o, key, prefix), path(prefix, key));
    }

    std::int64_t i64(const QJsonValue &v, const QString &p)
    {
        const double d = v.toDouble();
        if (v.isDouble() && d == std::trunc(d) && std::fabs(d) < kBelowTwoTo63)
            return v.toInteger();
        if (!v.isUndefined())
            error(p, u"must be an integer, got "_s + detail::describeJson(v));
        return 0;
    }
    std::int64_t i64(const QJsonObject &o, const QString &key, const QString &prefix)
    {
        return i64(get(o, key, prefix), path(prefix, key));
    }

    int i32(const QJsonValue &v, const QString &p)
    {
        const std::int64_t n = i64(v, p);
        if (n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max()) {
            error(p, u"out of range, got "_s + QString::number(n));
            return 0;
        }
        return static_cast<int>(n);
    }
    int i32(const QJsonObject &o, const QString &key, const QString &prefix)
    {
        return i32(get(o, key, prefix), path(prefix, key));
    }

    double number(const QJsonValue &v, const QString &p)
    {
        if (v.isDouble())
            return v.toDouble();
        if (!v.isUndefined())
            error(p, u"must be a number, got "_s + detail::describeJson(v));
        return 0;
    }
    double number(const QJsonObject &o, const QString &key, const QString &prefix)
    {
        return number(get(o, key, prefix), path(prefix, key));
    }

    // Seconds back to whole nanoseconds: exact for anything written from nanoseconds below 2^51
    // (26 days), because the double holds ns/1e9 to within half an ulp.
    std::uint64_t ns(const QJsonValue &v, const QString &p)
    {
        const double d = v.toDouble();
        if (v.isDouble() && d >= 0 && d * kNsPerSecond < kTwoTo64)
            return static_cast<std::uint64_t>(std::round(d * kNsPerSecond));
        if (!v.isUndefined())
            error(p, u"must be a non-negative number of seconds, got "_s + detail::describeJson(v));
        return 0;
    }
    std::uint64_t ns(const QJsonObject &o, const QString &key, const QString &prefix)
    {
        return ns(get(o, key, prefix), path(prefix, key));
    }

    double nsDouble(const QJsonObject &o, const QString &key, const QString &prefix)
    {
        return number(o, key, prefix) * kNsPerSecond;
    }
};

QJsonObject latencyJson(const clab::LatencySummary &l)
{
    return {{u"count"_s, count(l.count)}, {u"mean"_s, seconds(l.meanNs)}, {u"p50"_s, seconds(l.p50Ns)},
            {u"p90"_s, seconds(l.p90Ns)}, {u"p99"_s, seconds(l.p99Ns)},   {u"p999"_s, seconds(l.p999Ns)},
            {u"max"_s, seconds(l.maxNs)}};
}

clab::LatencySummary readLatency(Reader &rd, const QJsonObject &o, const QString &prefix)
{
    clab::LatencySummary l;
    l.count = rd.u64(o, u"count"_s, prefix);
    l.meanNs = rd.nsDouble(o, u"mean"_s, prefix);
    l.p50Ns = rd.nsDouble(o, u"p50"_s, prefix);
    l.p90Ns = rd.nsDouble(o, u"p90"_s, prefix);
    l.p99Ns = rd.nsDouble(o, u"p99"_s, prefix);
    l.p999Ns = rd.nsDouble(o, u"p999"_s, prefix);
    l.maxNs = rd.nsDouble(o, u"max"_s, prefix);
    return l;
}

QJsonObject workerJson(const clab::WorkerResult &w)
{
    QJsonArray cpus;
    for (int c : w.cpusSeen)
        cpus.append(c);
    // Sparse: a run touches a few dozen of the 960 buckets.
    QJsonArray histogram;
    for (std::size_t i = 0; i < w.histogram.counts.size(); ++i) {
        if (w.histogram.counts[i] != 0)
            histogram.append(QJsonArray{static_cast<qint64>(i), count(w.histogram.counts[i])});
    }
    return {
        {u"index"_s, static_cast<qint64>(w.index)},
        {u"pid"_s, w.pid},
        {u"tid"_s, w.tid},
        {u"pinnedCpu"_s, w.pinnedCpu < 0 ? QJsonValue(QJsonValue::Null) : QJsonValue(w.pinnedCpu)},
        {u"cpusSeen"_s, cpus},
        {u"exitState"_s, text(w.exitState)},
        {u"error"_s, text(w.error)},
        {u"finalValid"_s, w.finalValid},
        {u"ops"_s, count(w.ops)},
        {u"opsTotal"_s, count(w.opsTotal)},
        {u"bytes"_s, count(w.bytes)},
        {u"waitSeconds"_s, seconds(w.waitNs)},
        {u"holdSeconds"_s, seconds(w.holdNs)},
        {u"contended"_s, count(w.contended)},
        {u"measuredSeconds"_s, seconds(w.measuredNs)},
        {u"userSeconds"_s, seconds(w.userNs)},
        {u"sysSeconds"_s, seconds(w.sysNs)},
        {u"voluntaryContextSwitches"_s, count(w.volCsw)},
        {u"involuntaryContextSwitches"_s, count(w.involCsw)},
        {u"ownerDied"_s, count(w.ownerDied)},
        {u"samplesDropped"_s, count(w.drops)},
        {u"opsPerSecond"_s, clab::metrics::opsPerSecond(w)},
        {u"waitFraction"_s, clab::metrics::waitFraction(w)},
        {u"contendedFraction"_s, clab::metrics::contendedFraction(w)},
        {u"meanHoldSeconds"_s, seconds(clab::metrics::meanHoldNs(w))},
        {u"latency"_s, latencyJson(w.latency)},
        {u"histogram"_s, histogram},
    };
}

clab::WorkerResult readWorker(Reader &rd, const QJsonObject &o, const QString &p)
{
    clab::WorkerResult w;
    const std::uint64_t index = rd.u64(o, u"index"_s, p);
    if (index >= CLAB_MAX_LANES)
        rd.error(Reader::path(p, u"index"_s), u"must be below "_s + QString::number(CLAB_MAX_LANES));
    w.index = static_cast<std::uint32_t>(std::min<std::uint64_t>(index, CLAB_MAX_LANES));
    w.pid = rd.i32(o, u"pid"_s, p);
    w.tid = rd.i32(o, u"tid"_s, p);
    const QJsonValue pinned = rd.get(o, u"pinnedCpu"_s, p);
    w.pinnedCpu = pinned.isNull() ? -1 : rd.i32(pinned, Reader::path(p, u"pinnedCpu"_s));
    const QString cpusPath = Reader::path(p, u"cpusSeen"_s);
    const QJsonArray cpus = rd.array(rd.get(o, u"cpusSeen"_s, p), cpusPath);
    for (qsizetype i = 0; i < cpus.size(); ++i)
        w.cpusSeen.push_back(rd.i32(cpus.at(i), cpusPath + u'[' + QString::number(i) + u']'));
    w.exitState = rd.string(o, u"exitState"_s, p).toStdString();
    w.error = rd.string(o, u"error"_s, p).toStdString();
    w.finalValid = rd.boolean(o, u"finalValid"_s, p);
    w.ops = rd.u64(o, u"ops"_s, p);
    w.opsTotal = rd.u64(o, u"opsTotal"_s, p);
    w.bytes = rd.u64(o, u"bytes"_s, p);
    w.waitNs = rd.ns(o, u"waitSeconds"_s, p);
    w.holdNs = rd.ns(o, u"holdSeconds"_s, p);
    w.contended = rd.u64(o, u"contended"_s, p);
    w.measuredNs = rd.ns(o, u"measuredSeconds"_s, p);
    w.userNs = rd.ns(o, u"userSeconds"_s, p);
    w.sysNs = rd.ns(o, u"sysSeconds"_s, p);
    w.volCsw = rd.u64(o, u"voluntaryContextSwitches"_s, p);
    w.involCsw = rd.u64(o, u"involuntaryContextSwitches"_s, p);
    w.ownerDied = rd.u64(o, u"ownerDied"_s, p);
    w.drops = rd.u64(o, u"samplesDropped"_s, p);
    if (const auto latency = rd.section(o, u"latency"_s, p))
        w.latency = readLatency(rd, *latency, Reader::path(p, u"latency"_s));
    const QString histPath = Reader::path(p, u"histogram"_s);
    const QJsonArray hist = rd.array(rd.get(o, u"histogram"_s, p), histPath);
    for (qsizetype i = 0; i < hist.size(); ++i) {
        const QString entryPath = histPath + u'[' + QString::number(i) + u']';
        const QJsonArray pair = hist.at(i).toArray();
        if (!hist.at(i).isArray() || pair.size() != 2) {
            rd.error(entryPath, u"must be a pair [bucket, count], got "_s + detail::describeJson(hist.at(i)));
            continue;
        }
        const std::uint64_t bucket = rd.u64(pair.at(0), entryPath + u"[0]"_s);
        const std::uint64_t n = rd.u64(pair.at(1), entryPath + u"[1]"_s);
        if (bucket >= CLAB_HIST_BUCKETS) {
            rd.error(entryPath + u"[0]"_s, u"bucket must be 0.."_s + QString::number(CLAB_HIST_BUCKETS - 1) +
                                               u", got "_s + QString::number(bucket));
            continue;
        }
        w.histogram.counts[bucket] += n;
    }
    return w;
}

QJsonObject machineJson(const clab::MachineInfo &m)
{
    return {{u"cpuModel"_s, text(m.cpuModel)},    {u"logicalCpus"_s, m.logicalCpus},
            {u"kernel"_s, text(m.kernel)},        {u"hostname"_s, text(m.hostname)},
            {u"compiler"_s, text(m.compiler)},    {u"appVersion"_s, text(m.appVersion)},
            {u"buildType"_s, text(m.buildType)},  {u"clockSource"_s, text(m.clockSource)},
            {u"tscTicksPerNs"_s, m.tscTicksPerNs}};
}

clab::MachineInfo readMachine(Reader &rd, const QJsonObject &o)
{
    const QString p = u"machine"_s;
    clab::MachineInfo m;
    m.cpuModel = rd.string(o, u"cpuModel"_s, p).toStdString();
    m.logicalCpus = rd.i32(o, u"logicalCpus"_s, p);
    m.kernel = rd.string(o, u"kernel"_s, p).toStdString();
    m.hostname = rd.string(o, u"hostname"_s, p).toStdString();
    m.compiler = rd.string(o, u"compiler"_s, p).toStdString();
    m.appVersion = rd.string(o, u"appVersion"_s, p).toStdString();
    m.buildType = rd.string(o, u"buildType"_s, p).toStdString();
    m.clockSource = rd.string(o, u"clockSource"_s, p).toStdString();
    m.tscTicksPerNs = rd.number(o, u"tscTicksPerNs"_s, p);
    return m;
}

void readSeries(Reader &rd, const QJsonObject &series, const QString &p, std::vector<clab::SeriesPoint> &out)
{
    const QString columnsPath = Reader::path(p, u"columns"_s);
    const QJsonArray columns = rd.array(rd.get(series, u"columns"_s, p), columnsPath);
    // Columns are found by name, so a file with extra or reordered columns still reads.
    std::array<qsizetype, ColumnCount> at{};
    for (int c = 0; c < ColumnCount; ++c) {
        at[static_cast<std::size_t>(c)] = -1;
        for (qsizetype i = 0; i < columns.size(); ++i) {
            if (columns.at(i).toString() == QStringView(kColumnNames[static_cast<std::size_t>(c)]))
                at[static_cast<std::size_t>(c)] = i;
        }
    }
    // Rates and fractions are derived; everything else is needed to rebuild the samples.
    constexpr std::array kDerived{ColOpsPerS, ColBytesPerS, ColWaitFraction, ColContendedFraction};
    bool complete = true;
    for (int c = 0; c < ColumnCount; ++c) {
        if (std::find(kDerived.begin(), kDerived.end(), c) == kDerived.end() && at[static_cast<std::size_t>(c)] < 0) {
            rd.error(columnsPath, u"column "_s +
                                              QStringView(kColumnNames[static_cast<std::size_t>(c)]).toString() +
                                              u" is missing"_s);
            complete = false;
        }
    }
    if (!complete)
        return;
    const QJsonArray rows = rd.array(rd.get(series, u"rows"_s, p), Reader::path(p, u"rows"_s));
    out.reserve(static_cast<std::size_t>(rows.size()));
    for (qsizetype r = 0; r < rows.size(); ++r) {
        const QString rp = Reader::path(p, u"rows["_s) + QString::number(r) + u']';
        const QJsonArray row = rows.at(r).toArray();
        if (!rows.at(r).isArray() || row.size() != columns.size()) {
            rd.error(rp, u"must be an array of "_s + QString::number(columns.size()) + u" values"_s);
            continue;
        }
        const auto cell = [&](Column c) { return row.at(at[static_cast<std::size_t>(c)]); };
        const auto cellPath = [&](Column c) -> QString {
            return rp + u'.' + QStringView(kColumnNames[static_cast<std::size_t>(c)]);
        };
        clab::SeriesPoint pt;
        clab_sample &s = pt.sample;
        const std::uint64_t worker = rd.u64(cell(ColWorker), cellPath(ColWorker));
        pt.worker = static_cast<std::uint32_t>(std::min<std::uint64_t>(worker, CLAB_MAX_LANES));
        s.t_ns = rd.ns(cell(ColT), cellPath(ColT));
        const QString phase = cell(ColPhase).toString();
        if (phase == u"warmup")
            s.flags = CLAB_SAMPLE_WARMUP;
        else if (phase != u"measured")
            rd.error(cellPath(ColPhase),
                     u"must be \"warmup\" or \"measured\", got "_s + detail::describeJson(cell(ColPhase)));
        if (const auto st = stateFromName(cell(ColState).toString()))
            s.state = *st;
        else
            rd.error(cellPath(ColState), u"unknown worker state "_s + detail::describeJson(cell(ColState)));
        s.cpu = cell(ColCpu).isNull() ? -1 : rd.i32(cell(ColCpu), cellPath(ColCpu));
        s.ops = rd.u64(cell(ColOps), cellPath(ColOps));
        s.bytes = rd.u64(cell(ColBytes), cellPath(ColBytes));
        s.wait_ns = rd.ns(cell(ColWait), cellPath(ColWait));
        s.hold_ns = rd.ns(cell(ColHold), cellPath(ColHold));
        s.contended = rd.u64(cell(ColContended), cellPath(ColContended));
        s.latency_count = rd.u64(cell(ColLatencyCount), cellPath(ColLatencyCount));
        if (!cell(ColLatencyMean).isNull()) {
            const double mean = rd.number(cell(ColLatencyMean), cellPath(ColLatencyMean));
            const double sum = mean * kNsPerSecond * static_cast<double>(s.latency_count);
            s.latency_sum_ns = sum >= 0 && sum < kTwoTo64 ? static_cast<std::uint64_t>(std::round(sum)) : 0;
        }
        s.user_ns = rd.ns(cell(ColUser), cellPath(ColUser));
        s.sys_ns = rd.ns(cell(ColSys), cellPath(ColSys));
        s.vol_csw = rd.u64(cell(ColVolCsw), cellPath(ColVolCsw));
        s.invol_csw = rd.u64(cell(ColInvolCsw), cellPath(ColInvolCsw));
        s.gauge0 = rd.i64(cell(ColGauge0), cellPath(ColGauge0));
        s.gauge1 = rd.i64(cell(ColGauge1), cellPath(ColGauge1));
        out.push_back(pt);
    }
}

void readRun(Reader &rd, const QJsonObject &run, const QString &rp, clab::RunResult &r)
{
    r.status = rd.string(run, u"status"_s, rp).toStdString();
    r.error = rd.string(run, u"error"_s, rp).toStdString();
    const QJsonValue started = rd.get(run, u"startedAt"_s, rp);
    if (started.isString()) {
        if (const auto ns = parseIsoTime(started.toString()))
            r.startRealtimeNs = *ns;
        else
            rd.error(Reader::path(rp, u"startedAt"_s),
                     u"must be an ISO 8601 UTC time like \"2024-05-01T12:00:00.000000000Z\", got "_s +
                         detail::describeJson(started));
    } else if (!started.isNull() && !started.isUndefined()) {
        rd.error(Reader::path(rp, u"startedAt"_s), u"must be a time string or null, got "_s + detail::describeJson(started));
    }
    r.wallNs = rd.ns(run, u"wallSeconds"_s, rp);
    r.samplesReceived = rd.u64(run, u"samplesReceived"_s, rp);
    r.samplesDropped = rd.u64(run, u"samplesDropped"_s, rp);
}

QJsonArray figuresJson(const std::vector<clab::NamedFigure> &figures)
{
    QJsonArray a;
    for (const clab::NamedFigure &f : figures)
        a.append(QJsonObject{{u"name"_s, text(f.name)},
                             {u"label"_s, text(f.label)},
                             {u"value"_s, f.value}, // not finite: written as null
                             {u"unit"_s, text(f.unit)}});
    return a;
}

QJsonArray checksJson(const std::vector<clab::ResultCheck> &checks)
{
    QJsonArray a;
    for (const clab::ResultCheck &c : checks)
        a.append(QJsonObject{{u"name"_s, text(c.name)},
                             {u"description"_s, text(c.description)},
                             {u"passed"_s, c.passed},
                             {u"detail"_s, text(c.detail)}});
    return a;
}

// The elements of an optional array of objects ("figures", "checks": files written before they
// existed have neither).
void forEachObject(Reader &rd, const QJsonObject &o, const QString &key, const QString &prefix,
                   const std::function<void(const QJsonObject &, const QString &)> &read)
{
    if (!o.contains(key))
        return;
    const QString p = Reader::path(prefix, key);
    const QJsonArray a = rd.array(o.value(key), p);
    for (qsizetype i = 0; i < a.size(); ++i) {
        const QString ep = p + u'[' + QString::number(i) + u']';
        if (a.at(i).isObject())
            read(a.at(i).toObject(), ep);
        else
            rd.error(ep, u"must be an object, got "_s + detail::describeJson(a.at(i)));
    }
}

// run, counter, figures, checks, workers and series of one run, from the top level of a
// single-run file (prefix "") or from one of a sweep's points (prefix "points[3]").
void readRunSections(Reader &rd, const QJsonObject &o, const QString &prefix, clab::RunResult &r)
{
    if (const auto run = rd.section(o, u"run"_s, prefix))
        readRun(rd, *run, Reader::path(prefix, u"run"_s), r);

    if (o.contains(u"counter")) {
        const QString cp = Reader::path(prefix, u"counter"_s);
        if (const auto c = rd.section(o, u"counter"_s, prefix)) {
            clab::CounterCheck check;
            check.expected = rd.u64(*c, u"expected"_s, cp);
            check.actual = rd.u64(*c, u"actual"_s, cp);
            r.counter = check;
        }
    }
    forEachObject(rd, o, u"figures"_s, prefix, [&](const QJsonObject &f, const QString &p) {
        clab::NamedFigure figure;
        figure.name = rd.string(f, u"name"_s, p).toStdString();
        figure.label = rd.string(f, u"label"_s, p).toStdString();
        const QJsonValue value = rd.get(f, u"value"_s, p);
        figure.value = value.isNull() ? std::numeric_limits<double>::quiet_NaN()
                                      : rd.number(value, Reader::path(p, u"value"_s));
        figure.unit = rd.string(f, u"unit"_s, p).toStdString();
        r.figures.push_back(std::move(figure));
    });
    forEachObject(rd, o, u"checks"_s, prefix, [&](const QJsonObject &c, const QString &p) {
        clab::ResultCheck check;
        check.name = rd.string(c, u"name"_s, p).toStdString();
        check.description = rd.string(c, u"description"_s, p).toStdString();
        check.passed = rd.boolean(c, u"passed"_s, p);
        check.detail = rd.string(c, u"detail"_s, p).toStdString();
        r.checks.push_back(std::move(check));
    });

    const QString wsp = Reader::path(prefix, u"workers"_s);
    const QJsonArray workers = rd.array(rd.get(o, u"workers"_s, prefix), wsp);
    for (qsizetype i = 0; i < workers.size(); ++i) {
        const QString wp = wsp + u'[' + QString::number(i) + u']';
        if (!workers.at(i).isObject()) {
            rd.error(wp, u"must be an object, got "_s + detail::describeJson(workers.at(i)));
            continue;
        }
        r.workers.push_back(readWorker(rd, workers.at(i).toObject(), wp));
    }
    if (const auto series = rd.section(o, u"series"_s, prefix))
        readSeries(rd, *series, Reader::path(prefix, u"series"_s), r.series);
}

QJsonObject valuesObject(const QList<QPair<QString, QJsonValue>> &values)
{
    QJsonObject o;
    for (const auto &[path, value] : values)
        o.insert(path, value);
    return o;
}

ResultLoad resultFromJson(const QJsonObject &o, const QString &source)
{
    ResultLoad load;
    Reader rd;
    const auto finish = [&]() {
        if (rd.more > 0)
            rd.errors.append(u"... and "_s + QString::number(rd.more) + u" more problems"_s);
        QStringList lines;
        for (const QString &e : std::as_const(rd.errors))
            lines.append(source.isEmpty() ? e : source + u": "_s + e);
        load.error = lines.join(u'\n');
        if (!load.error.isEmpty()) {
            load.spec.reset();
            load.result.reset();
            load.points.clear();
        }
        return load;
    };

    const QJsonValue format = o.value(u"format");
    if (format != QJsonValue(QLatin1String(kResultFormat))) {
        if (format == QJsonValue(QLatin1String(kExperimentFormat)))
            rd.error(u"format"_s, u"not a Concurrency Lab result file: this is an experiment file"_s);
        else
            rd.error(u"format"_s, u"not a Concurrency Lab result file (\"format\" is "_s +
                                      detail::describeJson(format) + u", expected \"concurrency-lab-result\")"_s);
        return finish();
    }
    const QJsonValue version = o.value(u"schemaVersion");
    const double v = version.toDouble();
    if (!version.isDouble() || v != std::trunc(v)) {
        rd.error(u"schemaVersion"_s,
                 version.isUndefined() ? u"required"_s : u"must be an integer, got "_s + detail::describeJson(version));
        return finish();
    }
    if (v > kResultSchemaVersion) {
        rd.error({}, u"schemaVersion "_s + detail::describeJson(version) +
                         u" is newer than this version of Concurrency Lab supports ("_s +
                         QString::number(kResultSchemaVersion) + u"); update the app to open this file"_s);
        return finish();
    }
    if (v < kResultSchemaVersion) {
        rd.error(u"schemaVersion"_s,
                 u"must be "_s + QString::number(kResultSchemaVersion) + u", got "_s + detail::describeJson(version));
        return finish();
    }

    if (const auto experiment = rd.section(o, u"experiment"_s, {})) {
        const ExperimentLoad e = experimentFromJson(*experiment);
        for (const FieldError &fe : e.errors)
            rd.error(u"experiment."_s + fe.path, fe.message);
        load.spec = e.spec;
    }

    clab::MachineInfo machine;
    if (const auto m = rd.section(o, u"machine"_s, {}))
        machine = readMachine(rd, *m);

    if (!o.contains(u"points")) {
        clab::RunResult r;
        r.machine = machine;
        readRunSections(rd, o, {}, r);
        load.result = std::move(r);
        return finish();
    }

    // A sweep: the points are matched to the experiment's own expansion, which gives each its
    // values in order and its experiment.
    QList<SweepPoint> expanded;
    if (load.spec)
        expanded = expandSweep(*load.spec, nullptr);
    const QJsonValue pointsValue = o.value(u"points");
    const QJsonArray points = rd.array(pointsValue, u"points"_s);
    if (pointsValue.isArray() && points.isEmpty())
        rd.error(u"points"_s, u"must not be empty"_s);
    QHash<qsizetype, qsizetype> matched; // expanded index -> file index
    for (qsizetype i = 0; i < points.size(); ++i) {
        const QString pp = u"points["_s + QString::number(i) + u']';
        if (!points.at(i).isObject()) {
            rd.error(pp, u"must be an object, got "_s + detail::describeJson(points.at(i)));
            continue;
        }
        const QJsonObject po = points.at(i).toObject();
        PointResult point;
        point.label = rd.string(po, u"label"_s, pp);
        const QJsonObject values = rd.section(po, u"values"_s, pp).value_or(QJsonObject());
        point.result.machine = machine;
        readRunSections(rd, po, pp, point.result);
        if (load.spec) {
            const auto it = std::find_if(expanded.cbegin(), expanded.cend(), [&](const SweepPoint &e) {
                return e.label == point.label && valuesObject(e.values) == values;
            });
            if (it == expanded.cend()) {
                rd.error(pp, u"not a point of the experiment's sweep (label "_s +
                                 detail::describeJson(QJsonValue(point.label)) + u", values "_s +
                                 detail::describeJson(values) + u')');
            } else if (const qsizetype at = it - expanded.cbegin(); matched.contains(at)) {
                rd.error(pp, u"the same point as points["_s + QString::number(matched.value(at)) + u']');
            } else {
                matched.insert(at, i);
                point.values = it->values;
                point.spec = it->spec;
            }
        }
        load.points.push_back(std::move(point));
    }
    if (!load.points.empty())
        load.result = load.points.front().result;
    return finish();
}

} // namespace

QString workerStateName(std::uint32_t state)
{
    return state < kStateNames.size() ? QStringView(kStateNames[state]).toString() : QString::number(state);
}

QStringList sampleColumns()
{
    QStringList names;
    for (const char16_t *c : kColumnNames)
        names.append(QStringView(c).toString());
    return names;
}

std::vector<QJsonArray> sampleRows(const clab::RunResult &r)
{
    // Previous sample of each worker in each phase (index 0 warm-up, 1 measured): rates are per
    // interval, between consecutive samples of one worker in one phase.
    QHash<std::uint32_t, std::array<std::optional<clab_sample>, 2>> previous;
    std::vector<QJsonArray> rows;
    rows.reserve(r.series.size());
    const QJsonValue missing(QJsonValue::Null);
    for (const clab::SeriesPoint &p : r.series) {
        const clab_sample &s = p.sample;
        const bool warmup = (s.flags & CLAB_SAMPLE_WARMUP) != 0;
        std::optional<clab_sample> &prev = previous[p.worker][warmup ? 0 : 1];
        // The first sample of a phase has no interval to divide by; neither has a clock that
        // stood still or went backwards.
        const bool interval = prev.has_value() && s.t_ns > prev->t_ns;
        const std::uint64_t dt = interval ? s.t_ns - prev->t_ns : 0;
        const auto rateOf = [&](std::uint64_t now, std::uint64_t before) {
            return interval ? QJsonValue(clab::metrics::rateBetween(before, now, dt)) : missing;
        };
        QJsonValue waitFraction = missing, contendedFraction = missing;
        if (interval) {
            waitFraction = clab::metrics::fraction(delta(s.wait_ns, prev->wait_ns), dt);
            // No operations in the interval: a contention share of nothing is unknown, not 0.
            const std::uint64_t dOps = delta(s.ops, prev->ops);
            if (dOps != 0)
                contendedFraction = clab::metrics::fraction(delta(s.contended, prev->contended), dOps);
        }
        // Cumulative like latency_count, so (mean × count) gives back the sum of latencies.
        const QJsonValue latencyMean = s.latency_count == 0
                                           ? missing
                                           : QJsonValue(static_cast<double>(s.latency_sum_ns) /
                                                        static_cast<double>(s.latency_count) / kNsPerSecond);
        QJsonArray row{static_cast<qint64>(p.worker),
                       seconds(s.t_ns),
                       warmup ? u"warmup"_s : u"measured"_s,
                       workerStateName(s.state),
                       s.cpu < 0 ? missing : QJsonValue(s.cpu),
                       count(s.ops),
                       rateOf(s.ops, interval ? prev->ops : 0),
                       count(s.bytes),
                       rateOf(s.bytes, interval ? prev->bytes : 0),
                       seconds(s.wait_ns),
                       waitFraction,
                       seconds(s.hold_ns),
                       count(s.contended),
                       contendedFraction,
                       count(s.latency_count),
                       latencyMean,
                       seconds(s.user_ns),
                       seconds(s.sys_ns),
                       count(s.vol_csw),
                       count(s.invol_csw),
                       static_cast<qint64>(s.gauge0),
                       static_cast<qint64>(s.gauge1)};
        rows.push_back(std::move(row));
        prev = s;
    }
    return rows;
}

QByteArray samplesCsv(const clab::RunResult &r)
{
    QByteArray out = sampleColumns().join(u',').toUtf8();
    out += '\n';
    const std::vector<QJsonArray> rows = sampleRows(r);
    out.reserve(out.size() + static_cast<qsizetype>(rows.size()) * 160);
    for (const QJsonArray &row : rows)
        out += csvRow(row);
    return out;
}

namespace {

// run, totals, counter, figures, checks, workers and series of one run, into `o`.
void insertRunSections(QJsonObject &o, const clab::RunResult &r)
{
    const clab::metrics::Totals t = clab::metrics::totals(r.workers, r.wallNs);
    o.insert(u"run", QJsonObject{{u"status"_s, text(r.status)},
                                 {u"error"_s, text(r.error)},
                                 {u"startedAt"_s, isoTime(r.startRealtimeNs)},
                                 {u"wallSeconds"_s, seconds(r.wallNs)},
                                 {u"samplesReceived"_s, count(r.samplesReceived)},
                                 {u"samplesDropped"_s, count(r.samplesDropped)}});
    o.insert(u"totals", QJsonObject{{u"workers"_s, static_cast<qint64>(r.workers.size())},
                                    {u"ops"_s, count(t.ops)},
                                    {u"opsPerSecond"_s, t.opsPerSecond},
                                    {u"bytesPerSecond"_s, t.bytesPerSecond},
                                    {u"waitFraction"_s, t.waitFraction},
                                    {u"contendedFraction"_s, t.contendedFraction},
                                    {u"meanHoldSeconds"_s, seconds(t.meanHoldNs)},
                                    {u"fairness"_s, t.fairness},
                                    {u"userSeconds"_s, seconds(t.userNs)},
                                    {u"sysSeconds"_s, seconds(t.sysNs)},
                                    {u"voluntaryContextSwitches"_s, count(t.volCsw)},
                                    {u"involuntaryContextSwitches"_s, count(t.involCsw)},
                                    {u"samplesDropped"_s, count(t.drops)},
                                    {u"latency"_s, latencyJson(t.latency)}});
    if (r.counter) {
        o.insert(u"counter", QJsonObject{{u"expected"_s, count(r.counter->expected)},
                                         {u"actual"_s, count(r.counter->actual)},
                                         {u"lostUpdates"_s, static_cast<qint64>(r.counter->lost())}});
    }
    o.insert(u"figures", figuresJson(r.figures));
    o.insert(u"checks", checksJson(r.checks));
    QJsonArray workers;
    for (const clab::WorkerResult &w : r.workers)
        workers.append(workerJson(w));
    o.insert(u"workers", workers);
    QJsonArray columns;
    for (const QString &c : sampleColumns())
        columns.append(c);
    QJsonArray rows;
    for (QJsonArray &row : sampleRows(r))
        rows.append(std::move(row));
    o.insert(u"series", QJsonObject{{u"columns"_s, columns}, {u"rows"_s, rows}});
}

const QStringList kRunSectionKeys{u"run"_s,     u"totals"_s,  u"counter"_s, u"figures"_s,
                                  u"checks"_s,  u"workers"_s, u"series"_s};

// Key order of the run sections placed at `prefix` ("" or "points[]").
void insertRunKeyOrder(detail::KeyOrder &order, const QString &prefix)
{
    const auto at = [&prefix](const QString &key) { return prefix.isEmpty() ? key : prefix + u'.' + key; };
    order.insert(at(u"run"_s), {u"status"_s, u"error"_s, u"startedAt"_s, u"wallSeconds"_s, u"samplesReceived"_s,
                                u"samplesDropped"_s});
    const QStringList latency{u"count"_s, u"mean"_s, u"p50"_s, u"p90"_s, u"p99"_s, u"p999"_s, u"max"_s};
    order.insert(at(u"totals"_s),
                 {u"workers"_s, u"ops"_s, u"opsPerSecond"_s, u"bytesPerSecond"_s, u"waitFraction"_s,
                  u"contendedFraction"_s, u"meanHoldSeconds"_s, u"fairness"_s, u"userSeconds"_s, u"sysSeconds"_s,
                  u"voluntaryContextSwitches"_s, u"involuntaryContextSwitches"_s, u"samplesDropped"_s, u"latency"_s});
    order.insert(at(u"totals.latency"_s), latency);
    order.insert(at(u"counter"_s), {u"expected"_s, u"actual"_s, u"lostUpdates"_s});
    order.insert(at(u"figures[]"_s), {u"name"_s, u"label"_s, u"value"_s, u"unit"_s});
    order.insert(at(u"checks[]"_s), {u"name"_s, u"description"_s, u"passed"_s, u"detail"_s});
    order.insert(at(u"workers[]"_s), {u"index"_s,
                                      u"pid"_s,
                                      u"tid"_s,
                                      u"pinnedCpu"_s,
                                      u"cpusSeen"_s,
                                      u"exitState"_s,
                                      u"error"_s,
                                      u"finalValid"_s,
                                      u"ops"_s,
                                      u"opsTotal"_s,
                                      u"bytes"_s,
                                      u"waitSeconds"_s,
                                      u"holdSeconds"_s,
                                      u"contended"_s,
                                      u"measuredSeconds"_s,
                                      u"userSeconds"_s,
                                      u"sysSeconds"_s,
                                      u"voluntaryContextSwitches"_s,
                                      u"involuntaryContextSwitches"_s,
                                      u"ownerDied"_s,
                                      u"samplesDropped"_s,
                                      u"opsPerSecond"_s,
                                      u"waitFraction"_s,
                                      u"contendedFraction"_s,
                                      u"meanHoldSeconds"_s,
                                      u"latency"_s,
                                      u"histogram"_s});
    order.insert(at(u"workers[].latency"_s), latency);
    order.insert(at(u"series"_s), {u"columns"_s, u"rows"_s});
}

detail::KeyOrder resultKeyOrder()
{
    detail::KeyOrder order = detail::experimentKeyOrder(u"experiment"_s);
    order.insert({}, QStringList{u"format"_s, u"schemaVersion"_s, u"experiment"_s, u"machine"_s} + kRunSectionKeys +
                         QStringList{u"points"_s});
    order.insert(u"machine"_s, {u"cpuModel"_s, u"logicalCpus"_s, u"kernel"_s, u"hostname"_s, u"compiler"_s,
                                u"appVersion"_s, u"buildType"_s, u"clockSource"_s, u"tscTicksPerNs"_s});
    insertRunKeyOrder(order, {});
    order.insert(u"points[]"_s, QStringList{u"label"_s, u"values"_s} + kRunSectionKeys);
    insertRunKeyOrder(order, u"points[]"_s);
    return order;
}

} // namespace

QJsonObject resultToJson(const clab::ExperimentSpec &spec, const clab::RunResult &r)
{
    QJsonObject o;
    o.insert(u"format", QLatin1String(kResultFormat));
    o.insert(u"schemaVersion", kResultSchemaVersion);
    o.insert(u"experiment", experimentToJson(spec));
    o.insert(u"machine", machineJson(r.machine));
    insertRunSections(o, r);
    return o;
}

bool saveResult(const clab::ExperimentSpec &spec, const clab::RunResult &r, const QString &path, QString *error)
{
    return detail::writeFileAtomically(path, detail::writeJson(resultToJson(spec, r), resultKeyOrder()), error);
}

QJsonObject sweepResultToJson(const clab::ExperimentSpec &base, const std::vector<PointResult> &points)
{
    QJsonObject o;
    o.insert(u"format", QLatin1String(kResultFormat));
    o.insert(u"schemaVersion", kResultSchemaVersion);
    o.insert(u"experiment", experimentToJson(base));
    o.insert(u"machine", machineJson(points.empty() ? clab::MachineInfo{} : points.front().result.machine));
    QJsonArray array;
    for (const PointResult &p : points) {
        QJsonObject point{{u"label"_s, p.label}, {u"values"_s, valuesObject(p.values)}};
        insertRunSections(point, p.result);
        array.append(point);
    }
    o.insert(u"points", array);
    return o;
}

bool saveSweepResult(const clab::ExperimentSpec &base, const std::vector<PointResult> &points, const QString &path,
                     QString *error)
{
    if (points.empty()) {
        if (error)
            *error = u"cannot save \""_s + path + u"\": a sweep result needs at least one point"_s;
        return false;
    }
    detail::KeyOrder order = resultKeyOrder();
    // The values of each point in the order the sweep gives them: variant "set" keys, then axes.
    QStringList valueOrder;
    for (const PointResult &p : points) {
        for (const auto &[key, value] : p.values) {
            if (!valueOrder.contains(key))
                valueOrder.append(key);
        }
    }
    order.insert(u"points[].values"_s, valueOrder);
    return detail::writeFileAtomically(path, detail::writeJson(sweepResultToJson(base, points), order), error);
}

QStringList sweepSampleColumns()
{
    return QStringList{u"point"_s, u"label"_s} + sampleColumns();
}

QByteArray sweepSamplesCsv(const std::vector<PointResult> &points)
{
    QByteArray out = sweepSampleColumns().join(u',').toUtf8();
    out += '\n';
    for (std::size_t i = 0; i < points.size(); ++i) {
        const QJsonArray lead{static_cast<qint64>(i), points[i].label};
        for (const QJsonArray &row : sampleRows(points[i].result)) {
            QJsonArray full = lead;
            for (const QJsonValue &cell : row)
                full.append(cell);
            out += csvRow(full);
        }
    }
    return out;
}

bool saveSweepSamplesCsv(const std::vector<PointResult> &points, const QString &path, QString *error)
{
    return detail::writeFileAtomically(path, sweepSamplesCsv(points), error);
}

bool saveSamplesCsv(const clab::RunResult &r, const QString &path, QString *error)
{
    return detail::writeFileAtomically(path, samplesCsv(r), error);
}

ResultLoad parseResult(const QByteArray &json, const QString &sourceName)
{
    QJsonObject object;
    QString error;
    if (!detail::parseJsonObject(json, &object, &error)) {
        ResultLoad load;
        load.error = sourceName.isEmpty() ? error : sourceName + u": "_s + error;
        return load;
    }
    return resultFromJson(object, sourceName);
}

ResultLoad loadResult(const QString &path)
{
    QByteArray bytes;
    QString error;
    if (!detail::readFileBytes(path, kMaxResultFileBytes, &bytes, &error)) {
        ResultLoad load;
        load.error = path + u": "_s + error;
        return load;
    }
    return parseResult(bytes, path);
}

std::vector<double> sweepSpeedUps(const std::vector<const clab::RunResult *> &results, std::size_t pointsPerVariant)
{
    std::vector<double> rate(results.size(), 0.0);
    for (std::size_t i = 0; i < results.size(); ++i)
        rate[i] = metrics::totals(results[i]->workers, results[i]->wallNs).opsPerSecond;
    const std::size_t per = std::max<std::size_t>(pointsPerVariant, 1);
    std::vector<double> speedUp(results.size(), std::numeric_limits<double>::quiet_NaN());
    for (std::size_t i = 0; i < results.size(); ++i) {
        const double baseRate = rate[i % per];
        if (baseRate > 0 && results[i]->status != "failed")
            speedUp[i] = rate[i] / baseRate;
    }
    return speedUp;
}

} // namespace clab::model
