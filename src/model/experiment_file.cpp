// The experiment file format: parsing with every error reported by path, migrations, canonical saving.
#include "experiment_file.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QSaveFile>
#include <QSet>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;

namespace clab::model {

namespace {

// ---------------------------------------------------------------------------------------------
// Small helpers

QString joinPath(const QString &prefix, const QString &key)
{
    return prefix.isEmpty() ? key : prefix + u'.' + key;
}

QString quoted(const QString &s)
{
    return u'"' + s + u'"';
}

// Shortest text that reads back to the same double; locale independent ('.' always).
QByteArray numberText(double d)
{
    if (!std::isfinite(d))
        return QByteArrayLiteral("null");
    std::array<char, 64> buf{};
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), d);
    return {buf.data(), static_cast<qsizetype>(res.ptr - buf.data())};
}

// Whole numbers below 2^63 are printed from the exact 64-bit integer (Qt keeps JSON integers as
// qint64, so a counter above 2^53 survives); everything else as the shortest double.
QByteArray jsonNumberText(const QJsonValue &v)
{
    const double d = v.toDouble();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.2e18)
        return QByteArray::number(v.toInteger());
    return numberText(d);
}

void appendJsonString(QByteArray &out, const QString &s)
{
    out += '"';
    const QByteArray utf8 = s.toUtf8();
    for (const char c : utf8) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        default:
            if (u < 0x20) {
                static constexpr char hex[] = "0123456789abcdef";
                out += "\\u00";
                out += hex[u >> 4];
                out += hex[u & 0xF];
            } else {
                out += c;
            }
        }
    }
    out += '"';
}

bool isScalar(const QJsonValue &v)
{
    return !v.isArray() && !v.isObject();
}

void writeValue(QByteArray &out, const QJsonValue &v, const detail::KeyOrder &order, const QString &path, int indent)
{
    const QByteArray pad(qsizetype{4} * (indent + 1), ' ');
    const QByteArray closePad(qsizetype{4} * indent, ' ');
    switch (v.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        out += "null";
        return;
    case QJsonValue::Bool:
        out += v.toBool() ? "true" : "false";
        return;
    case QJsonValue::Double:
        out += jsonNumberText(v);
        return;
    case QJsonValue::String:
        appendJsonString(out, v.toString());
        return;
    case QJsonValue::Array: {
        const QJsonArray a = v.toArray();
        if (a.isEmpty()) {
            out += "[]";
            return;
        }
        // Short rows (CPU lists, series rows, histogram pairs) read best on one line.
        if (std::all_of(a.begin(), a.end(), [](const QJsonValue &e) { return isScalar(e); })) {
            out += '[';
            for (qsizetype i = 0; i < a.size(); ++i) {
                if (i > 0)
                    out += ", ";
                writeValue(out, a.at(i), order, path, indent);
            }
            out += ']';
            return;
        }
        out += "[\n";
        const QString elementPath = path + u"[]"_s;
        for (qsizetype i = 0; i < a.size(); ++i) {
            out += pad;
            writeValue(out, a.at(i), order, elementPath, indent + 1);
            out += i + 1 < a.size() ? ",\n" : "\n";
        }
        out += closePad;
        out += ']';
        return;
    }
    case QJsonValue::Object: {
        const QJsonObject o = v.toObject();
        if (o.isEmpty()) {
            out += "{}";
            return;
        }
        QStringList keys;
        const QStringList preferred = order.value(path);
        for (const QString &k : preferred) {
            if (o.contains(k))
                keys.append(k);
        }
        const QStringList all = o.keys(); // sorted
        for (const QString &k : all) {
            if (!preferred.contains(k))
                keys.append(k);
        }
        out += "{\n";
        for (qsizetype i = 0; i < keys.size(); ++i) {
            out += pad;
            appendJsonString(out, keys.at(i));
            out += ": ";
            writeValue(out, o.value(keys.at(i)), order, joinPath(path, keys.at(i)), indent + 1);
            out += i + 1 < keys.size() ? ",\n" : "\n";
        }
        out += closePad;
        out += '}';
        return;
    }
    }
}

// Optimal-string-alignment distance (a transposition costs 1), for "did you mean" hints.
int editDistance(const QString &a, const QString &b)
{
    const auto n = static_cast<std::size_t>(a.size());
    const auto m = static_cast<std::size_t>(b.size());
    std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1, 0));
    for (std::size_t i = 0; i <= n; ++i)
        d[i][0] = static_cast<int>(i);
    for (std::size_t j = 0; j <= m; ++j)
        d[0][j] = static_cast<int>(j);
    for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
            const int cost = a[static_cast<qsizetype>(i - 1)] == b[static_cast<qsizetype>(j - 1)] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[static_cast<qsizetype>(i - 1)] == b[static_cast<qsizetype>(j - 2)] &&
                a[static_cast<qsizetype>(i - 2)] == b[static_cast<qsizetype>(j - 1)])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[n][m];
}

// Keys as shown in error paths: plain keys as they are; anything long or with quotes, dots or
// control characters quoted and escaped, so one error stays one line of readable text.
QString displayKey(const QString &key)
{
    const bool plain = !key.isEmpty() && key.size() <= 60 && std::all_of(key.begin(), key.end(), [](QChar c) {
        return c.unicode() > 0x20 && c != u'"' && c != u'.' && c != u'[' && c != u'\\' && c.unicode() != 0x7F;
    });
    return plain ? key : detail::describeJson(QJsonValue(key));
}

// Case, '_' and '-' do not matter when guessing what a misspelt key meant ("sample_interval").
QString normalizedKey(const QString &k)
{
    QString out;
    for (const QChar c : k) {
        if (c != u'_' && c != u'-' && c != u' ')
            out += c.toLower();
    }
    return out;
}

// The keys of the v0 draft, so a v1 file written with old spellings gets a precise hint.
const QHash<QString, QString> &oldKeyNames()
{
    static const QHash<QString, QString> names{
        {u"schema_version"_s, u"schemaVersion"_s},
        {u"sample_interval_ns"_s, u"sampleInterval"_s},
        {u"duration_ns"_s, u"duration"_s},
        {u"warmup_ns"_s, u"warmup"_s},
        {u"operations_per_worker"_s, u"operations"_s},
        {u"cpu_work_ns"_s, u"cpuWork"_s},
        {u"critical_section_ns"_s, u"criticalSection"_s},
        {u"think_time_ns"_s, u"thinkTime"_s},
        {u"io_wait_ns"_s, u"ioWait"_s},
        {u"timing_sample_every"_s, u"timingSampleEvery"_s},
    };
    return names;
}

QString suggestKey(const QString &unknown, const QStringList &known, const QStringList &elsewhere)
{
    // No known key is long; a long one is not a misspelling, and comparing it would be costly.
    if (unknown.size() > 64)
        return {};
    QString renamed = oldKeyNames().value(unknown);
    if (!renamed.isEmpty() && known.contains(renamed))
        return renamed;
    const QString norm = normalizedKey(unknown);
    for (const QString &path : elsewhere) {
        if (normalizedKey(path.section(u'.', -1)) == norm)
            return path;
    }
    QString best;
    int bestDistance = std::numeric_limits<int>::max();
    for (const QString &k : known) {
        const int dist = editDistance(norm, normalizedKey(k));
        if (dist < bestDistance) {
            bestDistance = dist;
            best = k;
        }
    }
    const auto len = norm.size();
    const int allowed = len >= 8 ? 3 : len >= 4 ? 2 : 1;
    return bestDistance <= allowed ? best : QString();
}

// ---------------------------------------------------------------------------------------------
// Durations

struct Unit {
    const char16_t *name;
    std::uint64_t ns;
};
constexpr std::array<Unit, 6> kUnits{{
    {u"ns", 1},
    {u"us", 1'000},
    {u"\u00b5s", 1'000}, // micro sign, as typed on many keyboards
    {u"\u03bcs", 1'000}, // Greek small mu, its look-alike
    {u"ms", 1'000'000},
    {u"s", 1'000'000'000},
}};
constexpr std::uint64_t kNsPerMinute = 60'000'000'000ULL;
const QString kUnitHint = u"(use ns, us, ms, s, min)"_s;

std::optional<std::uint64_t> unitNs(const QString &unit)
{
    if (unit == u"min")
        return kNsPerMinute;
    for (const Unit &u : kUnits) {
        if (unit == QStringView(u.name))
            return u.ns;
    }
    return std::nullopt;
}

__extension__ using U128 = unsigned __int128;

// Exact decimal parsing of "<number> <unit>" so "0.1 s" is exactly 100 ms, not a binary fraction.
std::optional<std::uint64_t> parseDurationString(const QString &text, QString *error)
{
    const QString s = text.trimmed();
    const QString got = detail::describeJson(QJsonValue(text));
    const auto fail = [error](const QString &msg) -> std::optional<std::uint64_t> {
        if (error)
            *error = msg;
        return std::nullopt;
    };
    qsizetype i = 0;
    const qsizetype n = s.size();
    if (i < n && s[i] == u'-')
        return fail(u"must not be negative, got "_s + got);
    QString digits;
    qsizetype fracDigits = 0;
    bool anyDigit = false;
    while (i < n && s[i].isDigit() && s[i].unicode() < 128) {
        digits += s[i++];
        anyDigit = true;
    }
    if (i < n && s[i] == u'.') {
        ++i;
        while (i < n && s[i].isDigit() && s[i].unicode() < 128) {
            digits += s[i++];
            ++fracDigits;
            anyDigit = true;
        }
    }
    if (!anyDigit) {
        const QString lower = s.toLower();
        if (lower.startsWith(u"nan") || lower.startsWith(u"inf") || lower.startsWith(u"+inf"))
            return fail(u"not a number: "_s + got);
        return fail(u"must be a duration like \"10 ms\" or a number of seconds, got "_s + got);
    }
    long long exponent = 0;
    if (i < n && (s[i] == u'e' || s[i] == u'E')) {
        qsizetype j = i + 1;
        bool negExp = false;
        if (j < n && (s[j] == u'+' || s[j] == u'-')) {
            negExp = s[j] == u'-';
            ++j;
        }
        if (j < n && s[j].isDigit() && s[j].unicode() < 128) {
            while (j < n && s[j].isDigit() && s[j].unicode() < 128) {
                // Saturate: anything beyond a few hundred decimal places is zero or too large anyway.
                exponent = std::min(exponent * 10 + (s[j].unicode() - u'0'), 100'000LL);
                ++j;
            }
            if (negExp)
                exponent = -exponent;
            i = j;
        }
    }
    const QString unit = s.mid(i).trimmed();
    if (unit.isEmpty())
        return fail(u"missing unit in "_s + got + u' ' + kUnitHint);
    const std::optional<std::uint64_t> perUnit = unitNs(unit);
    if (!perUnit)
        return fail(u"unknown unit "_s + quoted(unit) + u' ' + kUnitHint);

    // Significant digits: drop leading zeros, keep at most 24 (beyond that nothing changes a
    // nanosecond count that fits in 64 bits).
    qsizetype lead = 0;
    while (lead < digits.size() && digits[lead] == u'0')
        ++lead;
    QString sig = digits.mid(lead);
    long long scale = exponent - static_cast<long long>(fracDigits);
    if (sig.size() > 24) {
        scale += static_cast<long long>(sig.size() - 24);
        sig.truncate(24);
    }
    if (sig.isEmpty())
        return std::uint64_t{0};
    U128 value = 0;
    for (const QChar c : sig)
        value = value * 10 + static_cast<unsigned>(c.unicode() - u'0');
    value *= *perUnit; // < 10^24 * 6e10: fits in 128 bits
    constexpr U128 kMax = std::numeric_limits<std::uint64_t>::max();
    const QString tooLarge = u"too large, got "_s + got;
    if (scale >= 0) {
        for (long long k = 0; k < scale; ++k) {
            value *= 10;
            if (value > kMax)
                return fail(tooLarge);
        }
    } else {
        if (-scale >= 38)
            return std::uint64_t{0}; // value < 10^36: rounds to zero nanoseconds
        U128 divisor = 1;
        for (long long k = 0; k < -scale; ++k)
            divisor *= 10;
        const U128 q = value / divisor;
        const U128 r = value % divisor;
        value = q + (r * 2 >= divisor ? 1 : 0);
    }
    if (value > kMax)
        return fail(tooLarge);
    return static_cast<std::uint64_t>(value);
}

QString formatThreeDecimals(std::uint64_t ns, std::uint64_t unit, const char16_t *name)
{
    QString out = QString::number(ns / unit);
    const std::uint64_t frac = (ns % unit) / (unit / 1000);
    if (frac != 0) {
        QString f = QString::number(frac).rightJustified(3, u'0');
        while (f.endsWith(u'0'))
            f.chop(1);
        out += u'.' + f;
    }
    return out + u' ' + QStringView(name);
}

// ---------------------------------------------------------------------------------------------
// Rules shared by the parser (on JSON values) and validateExperiment (on the struct)

const QString kRequired = u"required"_s;

QString rangeText(double lo, double hi)
{
    return QString::fromLatin1(jsonNumberText(lo)) + u".."_s + QString::fromLatin1(jsonNumberText(hi));
}

// Integer fields: v may be any whole number read from JSON (possibly far out of the type's range).
std::optional<QString> checkCount(double v, double lo, double hi, const QString &got)
{
    if (v < lo || v > hi)
        return u"must be "_s + rangeText(lo, hi) + u", got "_s + got;
    return std::nullopt;
}

std::optional<QString> checkDuration(std::uint64_t ns, std::uint64_t lo, std::uint64_t hi)
{
    if (ns >= lo && ns <= hi)
        return std::nullopt;
    if (lo == 0)
        return u"must be at most "_s + formatDuration(hi) + u", got "_s + formatDuration(ns);
    return u"must be "_s + formatDuration(lo) + u".."_s + formatDuration(hi) + u", got "_s + formatDuration(ns);
}

std::optional<QString> checkName(const QString &name)
{
    if (name.trimmed().isEmpty())
        return u"must not be empty"_s;
    const auto chars = name.toUcs4().size();
    if (chars > 200)
        return u"must be at most 200 characters, got "_s + QString::number(chars);
    return std::nullopt;
}

std::optional<QString> checkWorkersForExecution(clab::ExecutionModel m, std::uint64_t workers)
{
    if (m == clab::ExecutionModel::Sequential && workers != 1)
        return u"must be 1 for sequential execution (one worker does all the work), got "_s + QString::number(workers);
    return std::nullopt;
}

QString cpuRangeMessage(const QString &got)
{
    return u"must be a CPU number 0..1023, got "_s + got;
}
constexpr int kMaxCpu = 1023;

QString cpuTwiceMessage(int cpu)
{
    return u"CPU "_s + QString::number(cpu) + u" listed twice"_s;
}

const QString kBothModes = u"give either \"duration\" or \"operations\", not both"_s;

constexpr std::array kExecutionModels{clab::ExecutionModel::Threads, clab::ExecutionModel::Processes,
                                      clab::ExecutionModel::Sequential};
constexpr std::array kNamedPlacements{clab::PlacementPolicy::Unpinned, clab::PlacementPolicy::SameCpu,
                                      clab::PlacementPolicy::Spread};
constexpr std::array kPrimitiveKinds{clab::PrimitiveKind::LockContention};
constexpr std::array kGuards{clab::Guard::None, clab::Guard::Mutex, clab::Guard::Spinlock, clab::Guard::Atomic};

template<typename E, std::size_t N> QString choices(const std::array<E, N> &values)
{
    QStringList names;
    for (E v : values)
        names.append(QString::fromLatin1(clab::toString(v)));
    return names.join(u", "_s);
}

template<typename E, std::size_t N> std::optional<E> enumFromString(const QString &s, const std::array<E, N> &values)
{
    for (E v : values) {
        if (s == QLatin1String(clab::toString(v)))
            return v;
    }
    return std::nullopt;
}

template<typename E, std::size_t N> bool isOneOf(E e, const std::array<E, N> &values)
{
    return std::find(values.begin(), values.end(), e) != values.end();
}

template<typename E, std::size_t N> QString oneOfMessage(const std::array<E, N> &values, const QString &got)
{
    return u"must be one of "_s + choices(values) + u", got "_s + got;
}

QString placementMessage(const QString &got)
{
    return u"must be one of "_s + choices(kNamedPlacements) + u" or a list of CPU numbers, got "_s + got;
}

// ---------------------------------------------------------------------------------------------
// Keys

const QStringList kTopKeys{u"format"_s,     u"schemaVersion"_s,  u"name"_s,      u"topic"_s,     u"description"_s,
                           u"prediction"_s, u"execution"_s,      u"workers"_s,   u"duration"_s,  u"operations"_s,
                           u"warmup"_s,     u"sampleInterval"_s, u"placement"_s, u"primitive"_s, u"workload"_s};
const QStringList kPrimitiveKeys{u"kind"_s, u"guard"_s, u"timingSampleEvery"_s};
const QStringList kWorkloadKeys{u"cpuWork"_s, u"criticalSection"_s, u"thinkTime"_s, u"ioWait"_s};

// ---------------------------------------------------------------------------------------------
// Parsing a v1 object

class Parser {
public:
    QList<FieldError> errors;

    void error(const QString &path, const QString &message) { errors.append({path, message}); }

    void rejectUnknown(const QJsonObject &o, const QString &prefix, const QStringList &known,
                       const QStringList &elsewhere = {})
    {
        for (auto it = o.begin(); it != o.end(); ++it) {
            if (known.contains(it.key()))
                continue;
            const QString hint = suggestKey(it.key(), known, elsewhere);
            error(joinPath(prefix, displayKey(it.key())),
                  hint.isEmpty() ? u"unknown field"_s : u"unknown field (did you mean "_s + quoted(hint) + u"?)"_s);
        }
    }

    std::optional<QString> string(const QJsonValue &v, const QString &path)
    {
        if (!v.isString()) {
            error(path, u"must be a string, got "_s + detail::describeJson(v));
            return std::nullopt;
        }
        return v.toString();
    }

    // A whole JSON number, returned as double so values far outside any range can still be reported.
    std::optional<double> integer(const QJsonValue &v, const QString &path)
    {
        const double d = v.toDouble();
        if (!v.isDouble() || !std::isfinite(d) || d != std::trunc(d)) {
            error(path, u"must be an integer, got "_s + detail::describeJson(v));
            return std::nullopt;
        }
        return d;
    }

    std::optional<std::uint64_t> duration(const QJsonValue &v, const QString &path)
    {
        QString msg;
        const auto ns = parseDuration(v, &msg);
        if (!ns)
            error(path, msg);
        return ns;
    }

    template<typename E, std::size_t N>
    std::optional<E> enumeration(const QJsonValue &v, const QString &path, const std::array<E, N> &values)
    {
        const auto s = string(v, path);
        if (!s)
            return std::nullopt;
        const auto e = enumFromString(*s, values);
        if (!e)
            error(path, oneOfMessage(values, detail::describeJson(v)));
        return e;
    }

    clab::ExperimentSpec parse(const QJsonObject &o)
    {
        clab::ExperimentSpec spec;
        rejectUnknown(o, {}, kTopKeys,
                      {u"primitive.kind"_s, u"primitive.guard"_s, u"primitive.timingSampleEvery"_s,
                       u"workload.cpuWork"_s, u"workload.criticalSection"_s, u"workload.thinkTime"_s,
                       u"workload.ioWait"_s});

        if (!o.contains(u"name"))
            error(u"name"_s, kRequired);
        else if (const auto s = string(o.value(u"name"), u"name"_s)) {
            if (const auto msg = checkName(*s))
                error(u"name"_s, *msg);
            spec.name = s->toStdString();
        }
        const auto text = [&](const QString &key, std::string &out) {
            if (!o.contains(key))
                return;
            if (const auto s = string(o.value(key), key))
                out = s->toStdString();
        };
        text(u"topic"_s, spec.topic);
        text(u"description"_s, spec.description);
        text(u"prediction"_s, spec.prediction);

        std::optional<clab::ExecutionModel> execution;
        if (!o.contains(u"execution"))
            error(u"execution"_s, kRequired);
        else if ((execution = enumeration(o.value(u"execution"), u"execution"_s, kExecutionModels)))
            spec.execution = *execution;

        bool workersOk = false;
        if (!o.contains(u"workers"))
            error(u"workers"_s, kRequired);
        else if (const auto w = integer(o.value(u"workers"), u"workers"_s)) {
            if (const auto msg = checkCount(*w, clab::limits::kMinWorkers, clab::limits::kMaxWorkers,
                                            detail::describeJson(o.value(u"workers"))))
                error(u"workers"_s, *msg);
            else {
                spec.workers = static_cast<std::uint32_t>(*w);
                workersOk = true;
            }
        }
        if (workersOk && execution) {
            if (const auto msg = checkWorkersForExecution(*execution, spec.workers))
                error(u"workers"_s, *msg);
        }

        const bool hasDuration = o.contains(u"duration");
        const bool hasOperations = o.contains(u"operations");
        if (!hasDuration && !hasOperations)
            error(u"duration"_s, u"required (or \"operations\" for a fixed number of operations per worker)"_s);
        if (hasDuration && hasOperations)
            error(u"operations"_s, kBothModes);
        if (hasDuration) {
            if (const auto ns = duration(o.value(u"duration"), u"duration"_s)) {
                if (const auto msg = checkDuration(*ns, clab::limits::kMinDurationNs, clab::limits::kMaxDurationNs))
                    error(u"duration"_s, *msg);
                spec.durationNs = *ns;
            }
        }
        if (hasOperations) {
            if (const auto n = integer(o.value(u"operations"), u"operations"_s)) {
                if (const auto msg = checkCount(*n, 1, static_cast<double>(clab::limits::kMaxOperationsPerWorker),
                                                detail::describeJson(o.value(u"operations"))))
                    error(u"operations"_s, *msg);
                else
                    spec.operationsPerWorker = static_cast<std::uint64_t>(*n);
            }
            if (!hasDuration)
                spec.durationNs = 0;
        }

        spec.warmupNs = 0;
        if (o.contains(u"warmup")) {
            if (const auto ns = duration(o.value(u"warmup"), u"warmup"_s)) {
                if (const auto msg = checkDuration(*ns, 0, clab::limits::kMaxWarmupNs))
                    error(u"warmup"_s, *msg);
                spec.warmupNs = *ns;
            }
        }
        spec.sampleIntervalNs = 10'000'000;
        if (o.contains(u"sampleInterval")) {
            if (const auto ns = duration(o.value(u"sampleInterval"), u"sampleInterval"_s)) {
                if (const auto msg =
                        checkDuration(*ns, clab::limits::kMinSampleIntervalNs, clab::limits::kMaxSampleIntervalNs))
                    error(u"sampleInterval"_s, *msg);
                spec.sampleIntervalNs = *ns;
            }
        }

        spec.placement = clab::PlacementPolicy::Unpinned;
        if (o.contains(u"placement"))
            parsePlacement(o.value(u"placement"), spec);

        if (!o.contains(u"primitive"))
            error(u"primitive"_s, kRequired);
        else if (!o.value(u"primitive").isObject())
            error(u"primitive"_s, u"must be an object, got "_s + detail::describeJson(o.value(u"primitive")));
        else
            parsePrimitive(o.value(u"primitive").toObject(), spec);

        spec.workload = {};
        if (o.contains(u"workload")) {
            if (!o.value(u"workload").isObject())
                error(u"workload"_s, u"must be an object, got "_s + detail::describeJson(o.value(u"workload")));
            else
                parseWorkload(o.value(u"workload").toObject(), spec.workload);
        }
        return spec;
    }

private:
    void parsePlacement(const QJsonValue &v, clab::ExperimentSpec &spec)
    {
        const QString path = u"placement"_s;
        if (v.isString()) {
            if (const auto p = enumFromString(v.toString(), kNamedPlacements))
                spec.placement = *p;
            else
                error(path, placementMessage(detail::describeJson(v)));
            return;
        }
        if (!v.isArray()) {
            error(path, placementMessage(detail::describeJson(v)));
            return;
        }
        const QJsonArray a = v.toArray();
        spec.placement = clab::PlacementPolicy::CpuList;
        if (a.isEmpty()) {
            error(path, u"CPU list must not be empty"_s);
            return;
        }
        QSet<int> seen;
        for (qsizetype i = 0; i < a.size(); ++i) {
            const QString elementPath = path + u'[' + QString::number(i) + u']';
            const auto cpu = integer(a.at(i), elementPath);
            if (!cpu)
                continue;
            if (*cpu < 0 || *cpu > kMaxCpu) {
                error(elementPath, cpuRangeMessage(detail::describeJson(a.at(i))));
                continue;
            }
            const int c = static_cast<int>(*cpu);
            if (seen.contains(c))
                error(elementPath, cpuTwiceMessage(c));
            seen.insert(c);
            spec.cpuList.push_back(c);
        }
    }

    void parsePrimitive(const QJsonObject &p, clab::ExperimentSpec &spec)
    {
        rejectUnknown(p, u"primitive"_s, kPrimitiveKeys);
        if (!p.contains(u"kind"))
            error(u"primitive.kind"_s, kRequired);
        else if (const auto k = enumeration(p.value(u"kind"), u"primitive.kind"_s, kPrimitiveKinds))
            spec.primitive = *k;
        // Only one kind exists so far; its parameters are the guard and the timing sample rate.
        if (!p.contains(u"guard"))
            error(u"primitive.guard"_s, kRequired);
        else if (const auto g = enumeration(p.value(u"guard"), u"primitive.guard"_s, kGuards))
            spec.lock.guard = *g;
        spec.lock.timingSampleEvery = clab::LockContentionParams{}.timingSampleEvery;
        if (p.contains(u"timingSampleEvery")) {
            const QString path = u"primitive.timingSampleEvery"_s;
            if (const auto n = integer(p.value(u"timingSampleEvery"), path)) {
                if (const auto msg = checkCount(*n, 1, clab::limits::kMaxTimingSampleEvery,
                                                detail::describeJson(p.value(u"timingSampleEvery"))))
                    error(path, *msg);
                else
                    spec.lock.timingSampleEvery = static_cast<std::uint32_t>(*n);
            }
        }
    }

    void parseWorkload(const QJsonObject &w, clab::Workload &out)
    {
        rejectUnknown(w, u"workload"_s, kWorkloadKeys);
        const auto field = [&](const QString &key, std::uint64_t &ns) {
            if (!w.contains(key))
                return;
            const QString path = u"workload."_s + key;
            if (const auto v = duration(w.value(key), path)) {
                if (const auto msg = checkDuration(*v, 0, clab::limits::kMaxWorkNs))
                    error(path, *msg);
                ns = *v;
            }
        };
        field(u"cpuWork"_s, out.cpuWorkNs);
        field(u"criticalSection"_s, out.criticalSectionNs);
        field(u"thinkTime"_s, out.thinkTimeNs);
        field(u"ioWait"_s, out.ioWaitNs);
    }
};

// ---------------------------------------------------------------------------------------------
// Duplicate keys: QJsonDocument silently keeps the last of two equal keys, which would make a
// file mean something other than what its reader sees. This scans text already known to be
// valid JSON (so it needs no error handling) and reports every repeated key.

QString decodeJsonString(const QByteArray &token)
{
    if (!token.contains('\\'))
        return QString::fromUtf8(token.mid(1, token.size() - 2));
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray('[' + token + ']'));
    return doc.array().at(0).toString();
}

QList<FieldError> findDuplicateKeys(const QByteArray &json)
{
    struct Frame {
        bool object = false;
        QString path;
        QSet<QString> keys;
        int index = 0;
        bool expectKey = true;
        QString valuePath; // path of the member whose value comes next
    };
    QList<FieldError> errors;
    std::vector<Frame> stack;
    const auto childPath = [&stack]() -> QString {
        if (stack.empty())
            return {};
        const Frame &f = stack.back();
        return f.object ? f.valuePath : f.path + u'[' + QString::number(f.index) + u']';
    };
    const qsizetype n = json.size();
    for (qsizetype i = 0; i < n; ++i) {
        const char c = json[i];
        switch (c) {
        case '{':
        case '[': {
            Frame f;
            f.object = c == '{';
            f.path = childPath();
            stack.push_back(std::move(f));
            break;
        }
        case '}':
        case ']':
            if (!stack.empty())
                stack.pop_back();
            break;
        case ',':
            if (!stack.empty()) {
                if (stack.back().object)
                    stack.back().expectKey = true;
                else
                    ++stack.back().index;
            }
            break;
        case '"': {
            const qsizetype start = i;
            for (++i; i < n && json[i] != '"'; ++i) {
                if (json[i] == '\\')
                    ++i;
            }
            if (!stack.empty() && stack.back().object && stack.back().expectKey) {
                Frame &f = stack.back();
                const QString key = decodeJsonString(json.mid(start, i - start + 1));
                f.valuePath = joinPath(f.path, displayKey(key));
                f.expectKey = false;
                if (f.keys.contains(key))
                    errors.append({f.valuePath, u"appears more than once (only the last one would count)"_s});
                f.keys.insert(key);
            }
            break;
        }
        default:
            break;
        }
    }
    return errors;
}

// ---------------------------------------------------------------------------------------------
// Migrations: one step per version; step k turns a version-k object into a version-(k+1) one.

// v0 stored durations as integer nanoseconds; v1 wants "<n> <unit>" strings (or seconds).
QJsonValue nanosecondsToDuration(const QJsonValue &v)
{
    if (!v.isDouble())
        return v; // not a number: left for validation to report under the new name
    const double d = v.toDouble();
    if (d >= 0 && d == std::trunc(d) && d < 9.2e18)
        return formatDuration(static_cast<std::uint64_t>(v.toInteger()));
    // Fractions, negatives and huge values become text in ns, so the v1 rules judge them as
    // nanoseconds (never mistaken for seconds).
    return QString(QString::fromLatin1(numberText(d)) + u" ns"_s);
}

void rename(QJsonObject &o, const QString &from, const QString &to, bool nanoseconds = false)
{
    // If both spellings are present the old one stays and is reported as an unknown field.
    if (!o.contains(from) || o.contains(to))
        return;
    const QJsonValue v = o.take(from);
    o.insert(to, nanoseconds ? nanosecondsToDuration(v) : v);
}

bool isZero(const QJsonValue &v)
{
    return v.isDouble() && v.toDouble() == 0.0;
}

QJsonObject migrateV0ToV1(QJsonObject o)
{
    o.remove(u"schema_version");
    o.insert(u"schemaVersion", 1);
    // v0 mirrored the struct: both bounds present and the unused one 0. v1 wants exactly one.
    if (o.contains(u"duration_ns") && o.contains(u"operations_per_worker")) {
        if (isZero(o.value(u"duration_ns")) && !isZero(o.value(u"operations_per_worker")))
            o.remove(u"duration_ns");
        else if (isZero(o.value(u"operations_per_worker")))
            o.remove(u"operations_per_worker");
    }
    rename(o, u"duration_ns"_s, u"duration"_s, true);
    rename(o, u"warmup_ns"_s, u"warmup"_s, true);
    rename(o, u"sample_interval_ns"_s, u"sampleInterval"_s, true);
    rename(o, u"operations_per_worker"_s, u"operations"_s);
    if (o.value(u"workload").isObject()) {
        QJsonObject w = o.value(u"workload").toObject();
        rename(w, u"cpu_work_ns"_s, u"cpuWork"_s, true);
        rename(w, u"critical_section_ns"_s, u"criticalSection"_s, true);
        rename(w, u"think_time_ns"_s, u"thinkTime"_s, true);
        rename(w, u"io_wait_ns"_s, u"ioWait"_s, true);
        o.insert(u"workload", w);
    }
    if (o.value(u"primitive").isObject()) {
        QJsonObject p = o.value(u"primitive").toObject();
        rename(p, u"timing_sample_every"_s, u"timingSampleEvery"_s);
        o.insert(u"primitive", p);
    }
    return o;
}

using MigrationStep = QJsonObject (*)(QJsonObject);
// Adding schema version N means adding the step N-1 -> N here and bumping kExperimentSchemaVersion.
constexpr std::array<MigrationStep, kExperimentSchemaVersion> kMigrations{&migrateV0ToV1};

// ---------------------------------------------------------------------------------------------
// Files

// Returns the offset of the first byte that is not part of well-formed UTF-8, or -1.
qsizetype firstInvalidUtf8(const QByteArray &b)
{
    const auto n = b.size();
    qsizetype i = 0;
    while (i < n) {
        const auto c = static_cast<unsigned char>(b[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        int len = 0;
        std::uint32_t cp = 0;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07u;
        } else {
            return i;
        }
        if (i + len > n)
            return i;
        for (int k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(b[i + k]);
            if ((cc & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8.
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += len;
    }
    return -1;
}

// Line and column (both from 1; columns count characters, not bytes) of a byte offset.
QString lineColumn(const QByteArray &b, qsizetype offset)
{
    offset = std::clamp<qsizetype>(offset, 0, b.size());
    qsizetype line = 1, column = 1;
    for (qsizetype i = 0; i < offset; ++i) {
        const auto c = static_cast<unsigned char>(b[i]);
        if (c == '\n') {
            ++line;
            column = 1;
        } else if ((c & 0xC0) != 0x80) {
            ++column;
        }
    }
    return u"line "_s + QString::number(line) + u", column "_s + QString::number(column);
}

QString jsonTypeName(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Array:
        return u"an array"_s;
    case QJsonValue::String:
        return u"a string"_s;
    case QJsonValue::Double:
        return u"a number"_s;
    case QJsonValue::Bool:
        return u"a boolean"_s;
    case QJsonValue::Null:
        return u"null"_s;
    default:
        return u"something else"_s;
    }
}

} // namespace

// ---------------------------------------------------------------------------------------------
// detail

namespace detail {

QString describeJson(const QJsonValue &value)
{
    QString text;
    if (value.isString()) {
        QByteArray out;
        appendJsonString(out, value.toString());
        text = QString::fromUtf8(out);
    } else if (value.isUndefined()) {
        text = u"nothing"_s;
    } else if (value.isArray()) {
        text = QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    } else if (value.isObject()) {
        text = QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    } else {
        QByteArray out;
        writeValue(out, value, {}, {}, 0);
        text = QString::fromUtf8(out);
    }
    if (text.size() > 60)
        text = text.left(57) + u"..."_s;
    return text;
}

QByteArray writeJson(const QJsonObject &object, const KeyOrder &order)
{
    QByteArray out;
    writeValue(out, object, order, {}, 0);
    out += '\n';
    return out;
}

bool parseJsonObject(const QByteArray &bytes, QJsonObject *object, QString *error)
{
    const auto fail = [error](const QString &msg) {
        if (error)
            *error = msg;
        return false;
    };
    if (bytes.trimmed().isEmpty())
        return fail(u"empty file"_s);
    if (const qsizetype bad = firstInvalidUtf8(bytes); bad >= 0)
        return fail(u"not valid UTF-8 text (at "_s + lineColumn(bytes, bad) + u')');
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        // Qt's offset is just past the character the parser stopped at; point at that character.
        const QString where =
            parseError.offset >= bytes.size() ? u"the end of the file"_s : lineColumn(bytes, parseError.offset - 1);
        return fail(u"not valid JSON at "_s + where + u": "_s + parseError.errorString());
    }
    if (!doc.isObject())
        return fail(u"the top level must be a JSON object, got "_s +
                    (doc.isArray() ? u"an array"_s : jsonTypeName(QJsonValue::fromVariant(doc.toVariant()))));
    if (object)
        *object = doc.object();
    return true;
}

bool readFileBytes(const QString &path, qint64 maxBytes, QByteArray *bytes, QString *error)
{
    const auto fail = [error](const QString &msg) {
        if (error)
            *error = msg;
        return false;
    };
    const QFileInfo info(path);
    if (!info.exists())
        return fail(u"file not found"_s);
    if (info.isDir())
        return fail(u"is a directory, not a file"_s);
    if (!info.isFile())
        return fail(u"not a regular file"_s); // a FIFO or device would block or never end
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(u"cannot be read: "_s + file.errorString());
    // Read in chunks up to one byte past the limit: QIODevice::read(n) would allocate all n bytes
    // up front, and the size reported for /proc-like files is 0, so it cannot be trusted either.
    QByteArray data;
    data.reserve(std::clamp<qint64>(file.size(), 0, maxBytes) + 1);
    while (data.size() <= maxBytes) {
        const QByteArray chunk = file.read(std::min<qint64>(1 << 20, maxBytes + 1 - data.size()));
        if (chunk.isEmpty())
            break;
        data += chunk;
    }
    if (file.error() != QFileDevice::NoError)
        return fail(u"cannot be read: "_s + file.errorString());
    if (data.size() > maxBytes)
        return fail(u"too large (over "_s + QString::number(maxBytes / (qint64{1024} * 1024)) +
                    u" MiB) to be a Concurrency Lab file"_s);
    if (bytes)
        *bytes = std::move(data);
    return true;
}

bool readJsonObjectFile(const QString &path, qint64 maxBytes, QJsonObject *object, QString *error)
{
    QByteArray bytes;
    return readFileBytes(path, maxBytes, &bytes, error) && parseJsonObject(bytes, object, error);
}

bool writeFileAtomically(const QString &path, const QByteArray &bytes, QString *error)
{
    const auto fail = [&](const QString &why) {
        if (error)
            *error = u"cannot save "_s + quoted(path) + u": "_s + why;
        return false;
    };
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(file.errorString());
    if (file.write(bytes) != bytes.size()) {
        const QString why = file.errorString();
        file.cancelWriting();
        return fail(why);
    }
    if (!file.commit())
        return fail(file.errorString());
    return true;
}

} // namespace detail

// ---------------------------------------------------------------------------------------------
// Public API

QString FieldError::toString() const
{
    return path.isEmpty() ? message : path + u": "_s + message;
}

QString ExperimentLoad::errorText() const
{
    QStringList lines;
    for (const FieldError &e : errors)
        lines.append(source.isEmpty() ? e.toString() : source + u": "_s + e.toString());
    return lines.join(u'\n');
}

QString formatDuration(std::uint64_t ns)
{
    if (ns == 0)
        return u"0 ns"_s;
    if (ns % kNsPerMinute == 0)
        return QString::number(ns / kNsPerMinute) + u" min"_s;
    for (const Unit &u : {kUnits[5], kUnits[4], kUnits[1]}) {
        if (ns >= u.ns && ns % (u.ns / 1000) == 0)
            return formatThreeDecimals(ns, u.ns, u.name);
    }
    return QString::number(ns) + u" ns"_s;
}

std::optional<std::uint64_t> parseDuration(const QJsonValue &value, QString *error)
{
    const auto fail = [error](const QString &msg) -> std::optional<std::uint64_t> {
        if (error)
            *error = msg;
        return std::nullopt;
    };
    if (value.isString())
        return parseDurationString(value.toString(), error);
    if (!value.isDouble())
        return fail(u"must be a duration like \"10 ms\" or a number of seconds, got "_s + detail::describeJson(value));
    const double seconds = value.toDouble();
    if (std::isnan(seconds))
        return fail(u"not a number"_s);
    if (seconds < 0)
        return fail(u"must not be negative, got "_s + detail::describeJson(value));
    constexpr double kMaxNs = 18446744073709551615.0;
    if (!std::isfinite(seconds) || seconds * 1e9 >= kMaxNs)
        return fail(u"too large, got "_s + detail::describeJson(value));
    // Whole seconds are multiplied exactly; fractions are rounded to the nearest nanosecond.
    if (seconds == std::trunc(seconds))
        return static_cast<std::uint64_t>(value.toInteger()) * 1'000'000'000ULL;
    return static_cast<std::uint64_t>(std::llround(seconds * 1e9));
}

QList<FieldError> validateExperiment(const clab::ExperimentSpec &s)
{
    QList<FieldError> errors;
    const auto add = [&errors](const QString &path, const std::optional<QString> &msg) {
        if (msg)
            errors.append({path, *msg});
    };
    add(u"name"_s, checkName(QString::fromStdString(s.name)));
    if (!isOneOf(s.execution, kExecutionModels))
        add(u"execution"_s, oneOfMessage(kExecutionModels, QString::number(static_cast<int>(s.execution))));
    if (const auto msg =
            checkCount(s.workers, clab::limits::kMinWorkers, clab::limits::kMaxWorkers, QString::number(s.workers)))
        add(u"workers"_s, msg);
    else
        add(u"workers"_s, checkWorkersForExecution(s.execution, s.workers));

    if (s.durationNs != 0 && s.operationsPerWorker != 0)
        add(u"operations"_s, kBothModes);
    else if (s.operationsPerWorker != 0)
        add(u"operations"_s, checkCount(static_cast<double>(s.operationsPerWorker), 1,
                                        static_cast<double>(clab::limits::kMaxOperationsPerWorker),
                                        QString::number(s.operationsPerWorker)));
    else // both zero reads as a duration of zero: the default mode
        add(u"duration"_s, checkDuration(s.durationNs, clab::limits::kMinDurationNs, clab::limits::kMaxDurationNs));
    add(u"warmup"_s, checkDuration(s.warmupNs, 0, clab::limits::kMaxWarmupNs));
    add(u"sampleInterval"_s,
        checkDuration(s.sampleIntervalNs, clab::limits::kMinSampleIntervalNs, clab::limits::kMaxSampleIntervalNs));

    if (s.placement == clab::PlacementPolicy::CpuList) {
        if (s.cpuList.empty())
            add(u"placement"_s, u"CPU list must not be empty"_s);
        QSet<int> seen;
        for (std::size_t i = 0; i < s.cpuList.size(); ++i) {
            const QString path = u"placement["_s + QString::number(i) + u']';
            const int cpu = s.cpuList[i];
            if (cpu < 0 || cpu > kMaxCpu) {
                add(path, cpuRangeMessage(QString::number(cpu)));
                continue;
            }
            if (seen.contains(cpu))
                add(path, cpuTwiceMessage(cpu));
            seen.insert(cpu);
        }
    } else if (!isOneOf(s.placement, kNamedPlacements)) {
        add(u"placement"_s, placementMessage(QString::number(static_cast<int>(s.placement))));
    }

    if (!isOneOf(s.primitive, kPrimitiveKinds))
        add(u"primitive.kind"_s, oneOfMessage(kPrimitiveKinds, QString::number(static_cast<int>(s.primitive))));
    if (!isOneOf(s.lock.guard, kGuards))
        add(u"primitive.guard"_s, oneOfMessage(kGuards, QString::number(static_cast<int>(s.lock.guard))));
    add(u"primitive.timingSampleEvery"_s, checkCount(s.lock.timingSampleEvery, 1, clab::limits::kMaxTimingSampleEvery,
                                                     QString::number(s.lock.timingSampleEvery)));

    add(u"workload.cpuWork"_s, checkDuration(s.workload.cpuWorkNs, 0, clab::limits::kMaxWorkNs));
    add(u"workload.criticalSection"_s, checkDuration(s.workload.criticalSectionNs, 0, clab::limits::kMaxWorkNs));
    add(u"workload.thinkTime"_s, checkDuration(s.workload.thinkTimeNs, 0, clab::limits::kMaxWorkNs));
    add(u"workload.ioWait"_s, checkDuration(s.workload.ioWaitNs, 0, clab::limits::kMaxWorkNs));
    return errors;
}

QJsonObject migrateExperiment(QJsonObject object, int fromVersion)
{
    for (int v = std::max(fromVersion, 0); v < kExperimentSchemaVersion; ++v)
        object = kMigrations[static_cast<std::size_t>(v)](std::move(object));
    return object;
}

namespace {
// refused: the object is not an experiment we can read at all (wrong format or version), as
// opposed to an experiment with invalid fields.
ExperimentLoad readExperimentObject(const QJsonObject &object, const QString &sourceName, bool *refused)
{
    *refused = true;
    ExperimentLoad load;
    load.source = sourceName;
    const auto refuse = [&load](const QString &path, const QString &message) {
        load.errors.append({path, message});
        return load;
    };

    const QJsonValue format = object.value(u"format");
    if (format.isUndefined())
        return refuse(u"format"_s,
                      u"not a Concurrency Lab experiment file (it has no \"format\": \"concurrency-lab\")"_s);
    if (format != QJsonValue(QLatin1String(kExperimentFormat))) {
        if (format == QJsonValue(u"concurrency-lab-result"_s))
            return refuse(u"format"_s,
                          u"not a Concurrency Lab experiment file: this is a result file; open it as a result"_s);
        return refuse(u"format"_s, u"not a Concurrency Lab experiment file (\"format\" is "_s +
                                       detail::describeJson(format) + u", expected \"concurrency-lab\")"_s);
    }

    // Version: v0 spelled the key schema_version; from v1 on it is schemaVersion.
    const bool hasNew = object.contains(u"schemaVersion");
    const bool hasOld = object.contains(u"schema_version");
    const QString versionKey = hasNew || !hasOld ? u"schemaVersion"_s : u"schema_version"_s;
    if (!hasNew && !hasOld)
        return refuse(u"schemaVersion"_s, kRequired);
    const QJsonValue versionValue = object.value(versionKey);
    const double v = versionValue.toDouble();
    if (!versionValue.isDouble() || !std::isfinite(v) || v != std::trunc(v))
        return refuse(versionKey, u"must be an integer, got "_s + detail::describeJson(versionValue));
    if (v < 0)
        return refuse(versionKey, u"must not be negative, got "_s + detail::describeJson(versionValue));
    if (v > kExperimentSchemaVersion)
        return refuse({}, u"schemaVersion "_s + detail::describeJson(versionValue) +
                              u" is newer than this version of Concurrency Lab supports ("_s +
                              QString::number(kExperimentSchemaVersion) + u"); update the app to open this file"_s);
    const int version = static_cast<int>(v);
    if (!hasNew && version != 0)
        return refuse(versionKey,
                      u"only version 0 files use \"schema_version\"; later versions spell it \"schemaVersion\""_s);

    *refused = false;
    QJsonObject current = object;
    if (version < kExperimentSchemaVersion) {
        current = migrateExperiment(object, version);
        load.migratedFromVersion = version;
    }
    Parser parser;
    clab::ExperimentSpec spec = parser.parse(current);
    load.errors = parser.errors;
    if (load.errors.isEmpty())
        load.spec = std::move(spec);
    return load;
}
} // namespace

ExperimentLoad experimentFromJson(const QJsonObject &object, const QString &sourceName)
{
    bool refused = false;
    return readExperimentObject(object, sourceName, &refused);
}

ExperimentLoad parseExperiment(const QByteArray &json, const QString &sourceName)
{
    ExperimentLoad load;
    load.source = sourceName;
    QJsonObject object;
    QString error;
    if (!detail::parseJsonObject(json, &object, &error)) {
        load.errors.append({{}, error});
        return load;
    }
    bool refused = false;
    load = readExperimentObject(object, sourceName, &refused);
    // Repeated keys are only visible in the text; report them with the other errors.
    const QList<FieldError> duplicates = refused ? QList<FieldError>() : findDuplicateKeys(json);
    if (!duplicates.isEmpty()) {
        load.errors.append(duplicates);
        load.spec.reset();
    }
    return load;
}

ExperimentLoad loadExperiment(const QString &path)
{
    QByteArray bytes;
    QString error;
    if (!detail::readFileBytes(path, kMaxExperimentFileBytes, &bytes, &error)) {
        ExperimentLoad load;
        load.source = path;
        load.errors.append({{}, error});
        return load;
    }
    return parseExperiment(bytes, path);
}

QJsonObject experimentToJson(const clab::ExperimentSpec &s)
{
    QJsonObject o;
    o.insert(u"format", QLatin1String(kExperimentFormat));
    o.insert(u"schemaVersion", kExperimentSchemaVersion);
    o.insert(u"name", QString::fromStdString(s.name));
    o.insert(u"topic", QString::fromStdString(s.topic));
    o.insert(u"description", QString::fromStdString(s.description));
    o.insert(u"prediction", QString::fromStdString(s.prediction));
    o.insert(u"execution", QLatin1String(clab::toString(s.execution)));
    o.insert(u"workers", static_cast<qint64>(s.workers));
    if (s.operationsPerWorker != 0)
        o.insert(u"operations", static_cast<qint64>(std::min<std::uint64_t>(s.operationsPerWorker, INT64_MAX)));
    if (s.durationNs != 0 || s.operationsPerWorker == 0)
        o.insert(u"duration", formatDuration(s.durationNs));
    o.insert(u"warmup", formatDuration(s.warmupNs));
    o.insert(u"sampleInterval", formatDuration(s.sampleIntervalNs));
    if (s.placement == clab::PlacementPolicy::CpuList) {
        QJsonArray cpus;
        for (int c : s.cpuList)
            cpus.append(c);
        o.insert(u"placement", cpus);
    } else {
        o.insert(u"placement", QLatin1String(clab::toString(s.placement)));
    }
    o.insert(u"primitive", QJsonObject{{u"kind"_s, QLatin1String(clab::toString(s.primitive))},
                                       {u"guard"_s, QLatin1String(clab::toString(s.lock.guard))},
                                       {u"timingSampleEvery"_s, static_cast<qint64>(s.lock.timingSampleEvery)}});
    o.insert(u"workload", QJsonObject{{u"cpuWork"_s, formatDuration(s.workload.cpuWorkNs)},
                                      {u"criticalSection"_s, formatDuration(s.workload.criticalSectionNs)},
                                      {u"thinkTime"_s, formatDuration(s.workload.thinkTimeNs)},
                                      {u"ioWait"_s, formatDuration(s.workload.ioWaitNs)}});
    return o;
}

namespace detail {
KeyOrder experimentKeyOrder(const QString &prefix)
{
    return {{prefix, kTopKeys},
            {joinPath(prefix, u"primitive"_s), kPrimitiveKeys},
            {joinPath(prefix, u"workload"_s), kWorkloadKeys}};
}
} // namespace detail

QByteArray serializeExperiment(const clab::ExperimentSpec &spec)
{
    return detail::writeJson(experimentToJson(spec), detail::experimentKeyOrder({}));
}

bool saveExperiment(const clab::ExperimentSpec &spec, const QString &path, QString *error)
{
    const QList<FieldError> errors = validateExperiment(spec);
    if (!errors.isEmpty()) {
        if (error) {
            QStringList lines;
            for (const FieldError &e : errors)
                lines.append(e.toString());
            *error =
                u"cannot save "_s + quoted(path) + u": the experiment is not valid ("_s + lines.join(u"; "_s) + u')';
        }
        return false;
    }
    return detail::writeFileAtomically(path, serializeExperiment(spec), error);
}

} // namespace clab::model
