// The experiment file format: parsing with every error reported by path, migrations, canonical saving.
#include "experiment_file.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QSaveFile>
#include <QSet>
#include <QVariant>

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

// "<digits>[.<digits>][e<exponent>] <rest>": the number part of a quantity, scanned exactly.
struct DecimalText {
    QString digits; // integer and fraction digits together
    long long fracDigits = 0;
    long long exponent = 0;
    bool anyDigit = false;
    QString rest; // what follows the number, trimmed (the unit)
};

DecimalText scanDecimal(const QString &s)
{
    DecimalText t;
    qsizetype i = 0;
    const qsizetype n = s.size();
    const auto isDigit = [&s](qsizetype k) { return s[k].isDigit() && s[k].unicode() < 128; };
    while (i < n && isDigit(i)) {
        t.digits += s[i++];
        t.anyDigit = true;
    }
    if (i < n && s[i] == u'.') {
        ++i;
        while (i < n && isDigit(i)) {
            t.digits += s[i++];
            ++t.fracDigits;
            t.anyDigit = true;
        }
    }
    if (t.anyDigit && i < n && (s[i] == u'e' || s[i] == u'E')) {
        qsizetype j = i + 1;
        bool negExp = false;
        if (j < n && (s[j] == u'+' || s[j] == u'-')) {
            negExp = s[j] == u'-';
            ++j;
        }
        if (j < n && isDigit(j)) {
            while (j < n && isDigit(j)) {
                // Saturate: anything beyond a few hundred decimal places is zero or too large anyway.
                t.exponent = std::min(t.exponent * 10 + (s[j].unicode() - u'0'), 100'000LL);
                ++j;
            }
            if (negExp)
                t.exponent = -t.exponent;
            i = j;
        }
    }
    t.rest = s.mid(i).trimmed();
    return t;
}

enum class Exact { Ok, TooLarge, Fraction };

// The scanned number times perUnit as a 64-bit integer: rounded to the nearest integer when
// `round`, else Exact::Fraction unless it is whole. Exact decimal arithmetic throughout, so
// "0.1 s" is exactly 100 ms, not a binary fraction.
Exact decimalToInteger(const DecimalText &t, std::uint64_t perUnit, bool round, std::uint64_t &out)
{
    // Significant digits: drop leading zeros, keep at most 24 (beyond that nothing changes a
    // count that fits in 64 bits).
    qsizetype lead = 0;
    while (lead < t.digits.size() && t.digits[lead] == u'0')
        ++lead;
    QString sig = t.digits.mid(lead);
    long long scale = t.exponent - t.fracDigits;
    bool droppedNonZero = false;
    if (sig.size() > 24) {
        droppedNonZero = std::any_of(sig.begin() + 24, sig.end(), [](QChar c) { return c != u'0'; });
        scale += static_cast<long long>(sig.size() - 24);
        sig.truncate(24);
    }
    out = 0;
    if (sig.isEmpty())
        return Exact::Ok;
    U128 value = 0;
    for (const QChar c : sig)
        value = value * 10 + static_cast<unsigned>(c.unicode() - u'0');
    value *= perUnit; // < 10^24 * 6e10: fits in 128 bits
    constexpr U128 kMax = std::numeric_limits<std::uint64_t>::max();
    if (scale >= 0) {
        for (long long k = 0; k < scale; ++k) {
            value *= 10;
            if (value > kMax)
                return Exact::TooLarge;
        }
        if (droppedNonZero && !round)
            return Exact::Fraction; // only reachable for absurdly long inputs; never guess
    } else {
        if (-scale >= 38) // value < 10^36: a fraction of one
            return round ? Exact::Ok : Exact::Fraction;
        U128 divisor = 1;
        for (long long k = 0; k < -scale; ++k)
            divisor *= 10;
        const U128 q = value / divisor;
        const U128 r = value % divisor;
        if (!round && (r != 0 || droppedNonZero))
            return Exact::Fraction;
        value = q + (r * 2 >= divisor ? 1 : 0);
    }
    if (value > kMax)
        return Exact::TooLarge;
    out = static_cast<std::uint64_t>(value);
    return Exact::Ok;
}

bool looksLikeNotANumber(const QString &s)
{
    const QString lower = s.toLower();
    return lower.startsWith(u"nan") || lower.startsWith(u"inf") || lower.startsWith(u"+inf");
}

std::optional<std::uint64_t> parseDurationString(const QString &text, QString *error)
{
    const QString s = text.trimmed();
    const QString got = detail::describeJson(QJsonValue(text));
    const auto fail = [error](const QString &msg) -> std::optional<std::uint64_t> {
        if (error)
            *error = msg;
        return std::nullopt;
    };
    if (s.startsWith(u'-'))
        return fail(u"must not be negative, got "_s + got);
    const DecimalText t = scanDecimal(s);
    if (!t.anyDigit) {
        if (looksLikeNotANumber(s))
            return fail(u"not a number: "_s + got);
        return fail(u"must be a duration like \"10 ms\" or a number of seconds, got "_s + got);
    }
    if (t.rest.isEmpty())
        return fail(u"missing unit in "_s + got + u' ' + kUnitHint);
    const std::optional<std::uint64_t> perUnit = unitNs(t.rest);
    if (!perUnit)
        return fail(u"unknown unit "_s + quoted(t.rest) + u' ' + kUnitHint);
    std::uint64_t ns = 0;
    if (decimalToInteger(t, *perUnit, true, ns) != Exact::Ok)
        return fail(u"too large, got "_s + got);
    return ns;
}

// ---------------------------------------------------------------------------------------------
// Sizes in bytes

struct SizeUnit {
    const char16_t *name;
    std::uint64_t bytes;
};
constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = kKiB * 1024;
constexpr std::uint64_t kGiB = kMiB * 1024;
constexpr std::array<SizeUnit, 7> kSizeUnits{{
    {u"B", 1},
    {u"KiB", kKiB},
    {u"MiB", kMiB},
    {u"GiB", kGiB},
    {u"kB", 1'000},
    {u"MB", 1'000'000},
    {u"GB", 1'000'000'000},
}};
const QString kSizeUnitHint = u"(use B, KiB, MiB, GiB, kB, MB, GB)"_s;
const QString kSizeExample = u"must be a size like \"4 KiB\" or a number of bytes, got "_s;

std::optional<std::uint64_t> parseSizeString(const QString &text, QString *error)
{
    const QString s = text.trimmed();
    const QString got = detail::describeJson(QJsonValue(text));
    const auto fail = [error](const QString &msg) -> std::optional<std::uint64_t> {
        if (error)
            *error = msg;
        return std::nullopt;
    };
    if (s.startsWith(u'-'))
        return fail(u"must not be negative, got "_s + got);
    const DecimalText t = scanDecimal(s);
    if (!t.anyDigit)
        return fail(looksLikeNotANumber(s) ? u"not a number: "_s + got : kSizeExample + got);
    if (t.rest.isEmpty())
        return fail(u"missing unit in "_s + got + u' ' + kSizeUnitHint);
    const auto unit = std::find_if(kSizeUnits.begin(), kSizeUnits.end(),
                                   [&t](const SizeUnit &u) { return t.rest == QStringView(u.name); });
    if (unit == kSizeUnits.end())
        return fail(u"unknown unit "_s + quoted(t.rest) + u' ' + kSizeUnitHint);
    std::uint64_t bytes = 0;
    switch (decimalToInteger(t, unit->bytes, false, bytes)) {
    case Exact::Ok:
        return bytes;
    case Exact::TooLarge:
        return fail(u"too large, got "_s + got);
    case Exact::Fraction:
        break;
    }
    return fail(u"must be a whole number of bytes, got "_s + got);
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

// Sequential execution runs the workers' bodies one after another on one thread: a time bound
// would give all of it to the first worker, so more than one worker needs an operation count.
QString sequentialDurationMessage(std::uint64_t workers)
{
    return u"sequential execution runs the "_s + QString::number(workers) +
           u" workers' bodies one after another, so a duration would give all of it to the first; "
           u"give \"operations\" instead"_s;
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
constexpr std::array kPrimitiveKinds{clab::PrimitiveKind::LockContention, clab::PrimitiveKind::SharedValue,
                                     clab::PrimitiveKind::MessagePassing, clab::PrimitiveKind::Semaphore,
                                     clab::PrimitiveKind::Event,          clab::PrimitiveKind::Sync,
                                     clab::PrimitiveKind::Work,           clab::PrimitiveKind::Lifecycle};
constexpr std::array kGuards{clab::Guard::None, clab::Guard::Mutex, clab::Guard::Spinlock, clab::Guard::Atomic};
constexpr std::array kValueGuards{clab::Guard::None, clab::Guard::Mutex, clab::Guard::Atomic};
constexpr std::array kElementTypes{clab::ElementType::Int32, clab::ElementType::Int64, clab::ElementType::Double,
                                   clab::ElementType::Char};
constexpr std::array kTransports{clab::Transport::Pipe,       clab::Transport::Fifo,      clab::Transport::PosixMq,
                                 clab::Transport::SysvMq,     clab::Transport::UnixStream, clab::Transport::UnixDgram,
                                 clab::Transport::ShmChannel};
constexpr std::array kMessagePatterns{clab::MessagePattern::PingPong, clab::MessagePattern::Streaming};
constexpr std::array kWakeStrategies{clab::WakeStrategy::Blocking, clab::WakeStrategy::Spinning};
constexpr std::array kSemaphorePatterns{clab::SemaphorePattern::Gate, clab::SemaphorePattern::PingPong};
constexpr std::array kEventPatterns{clab::EventPattern::HandOff, clab::EventPattern::Gate};
constexpr std::array kEventImplementations{clab::EventImplementation::Futex, clab::EventImplementation::CondVar};
constexpr std::array kSyncKinds{clab::SyncKind::Mutex,    clab::SyncKind::RecursiveMutex, clab::SyncKind::RwLock,
                                clab::SyncKind::Spinlock, clab::SyncKind::CondVar,        clab::SyncKind::Barrier};
constexpr std::array kBarrierImplementations{clab::BarrierImplementation::Pthread, clab::BarrierImplementation::Futex};
constexpr std::array kLifecycleModes{clab::LifecycleMode::CreateJoin, clab::LifecycleMode::Daemon};

// Limits of the format that clab::limits does not (yet) hold.
constexpr std::uint64_t kMaxTimeoutNs = clab::limits::kMaxDurationNs;   // waitTimeout, joinTimeout, mainWork
constexpr std::uint64_t kMaxSetIntervalNs = clab::limits::kMaxWorkNs;   // event.setInterval
constexpr std::uint64_t kMaxMemoryStride = 4096;
constexpr std::uint64_t kMinMemoryBuffer = 4096;
// Doubles hold every integer up to 2^53 exactly; int64 initial values beyond would change.
constexpr double kMaxExactInteger = 9007199254740992.0;

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

// Enum values outside the enumeration (only possible in memory) are reported by number.
template<typename E> QString enumNumber(E e)
{
    return QString::number(static_cast<int>(e));
}

QString placementMessage(const QString &got)
{
    return u"must be one of "_s + choices(kNamedPlacements) + u" or a list of CPU numbers, got "_s + got;
}

QString name(clab::PrimitiveKind k)
{
    return QString::fromLatin1(clab::toString(k));
}

std::optional<QString> checkBytes(std::uint64_t bytes, std::uint64_t lo, std::uint64_t hi)
{
    if (bytes >= lo && bytes <= hi)
        return std::nullopt;
    return u"must be "_s + QString::number(lo) + u".."_s + QString::number(hi) + u" bytes, got "_s +
           QString::number(bytes);
}

// A number for messages, NaN and infinities included (JSON cannot hold them; the struct can).
QString numberForMessage(double d)
{
    if (std::isnan(d))
        return u"NaN"_s;
    if (std::isinf(d))
        return d < 0 ? u"-inf"_s : u"inf"_s;
    return QString::fromLatin1(jsonNumberText(d));
}

std::optional<QString> checkFraction(double d)
{
    if (d >= 0 && d <= 1)
        return std::nullopt;
    return u"must be 0..1, got "_s + numberForMessage(d);
}

// Rules between the experiment's family and its number of workers, reported at "workers".
std::optional<QString> checkWorkersForKind(const clab::ExperimentSpec &s)
{
    const QString got = u", got "_s + QString::number(s.workers);
    switch (s.primitive) {
    case clab::PrimitiveKind::MessagePassing:
        if (s.workers < 2 || s.workers % 2 != 0)
            return u"must be an even number of at least 2 for message-passing (pairs of sender and receiver)"_s + got;
        break;
    case clab::PrimitiveKind::Semaphore:
        if (s.semaphore.pattern == clab::SemaphorePattern::PingPong && (s.workers < 2 || s.workers % 2 != 0))
            return u"must be an even number of at least 2 for semaphore pattern ping-pong (pairs passing a token)"_s +
                   got;
        break;
    case clab::PrimitiveKind::Event:
        if (s.event.pattern == clab::EventPattern::HandOff && (s.workers < 2 || s.workers % 2 != 0))
            return u"must be an even number of at least 2 for event pattern hand-off (pairs of setter and waiter)"_s +
                   got;
        if (s.event.pattern == clab::EventPattern::Gate && s.workers < 2)
            return u"must be at least 2 for event pattern gate (one setter and the others waiting)"_s + got;
        break;
    case clab::PrimitiveKind::Sync:
        if (s.sync.kind == clab::SyncKind::CondVar && (s.workers < 2 || s.workers % 2 != 0))
            return u"must be an even number of at least 2 for lock condvar (half producers, half consumers)"_s + got;
        if (s.sync.kind == clab::SyncKind::Barrier && s.workers < 2)
            return u"must be at least 2 for lock barrier (a barrier of one never waits)"_s + got;
        break;
    default:
        break;
    }
    return std::nullopt;
}

// daemonWorkers: 0..workers-1 when the number of workers is known, else 0..kMaxWorkers-1.
std::optional<QString> checkDaemonWorkers(double n, std::optional<std::uint32_t> workers, const QString &got)
{
    const double hi = workers ? static_cast<double>(*workers) - 1 : clab::limits::kMaxWorkers - 1.0;
    if (n >= 0 && n <= hi)
        return std::nullopt;
    return u"must be "_s + rangeText(0, hi) + u" (the main worker is never a daemon), got "_s + got;
}

const QString kAtomicChar = u"must not be atomic for type char: a string cannot be updated atomically; use none or mutex"_s;
const QString kOneOfLength = u"give only one of \"length\", \"initial\" and \"initialText\""_s;
const QString kInitialForChar = u"not for type char (use \"initialText\")"_s;
const QString kTextForNumbers = u"only for type char (use \"initial\" for numbers)"_s;

QString wakeMessage(clab::Transport t)
{
    return u"must be blocking for transport "_s + QString::fromLatin1(clab::toString(t)) +
           u": only shm-channel can be polled by spinning (the other transports wait in the kernel)"_s;
}

QString elementCountMessage(std::uint64_t n)
{
    return u"must have 1.."_s + QString::number(clab::limits::kMaxArrayLength) + u" elements, got "_s +
           QString::number(n);
}

QString textBytesMessage(qsizetype n)
{
    return u"must be 1.."_s + QString::number(clab::limits::kMaxArrayLength) + u" bytes of UTF-8 text, got "_s +
           QString::number(n);
}

// One initial element of a numeric shared value. `exact` is the integer as the JSON held it
// (Qt keeps integers as qint64), when it did; null for a double.
std::optional<QString> checkElement(clab::ElementType type, double d, const qint64 *exact, const QString &got)
{
    switch (type) {
    case clab::ElementType::Int32:
        if (!(d == std::trunc(d) && d >= -2147483648.0 && d <= 2147483647.0))
            return u"must be an integer -2147483648..2147483647 (type int32), got "_s + got;
        break;
    case clab::ElementType::Int64: {
        if (!(d == std::trunc(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0))
            return u"must be an integer -9223372036854775808..9223372036854775807 (type int64), got "_s + got;
        const bool beyond = exact != nullptr ? (*exact > 9007199254740992LL || *exact < -9007199254740992LL)
                                             : std::fabs(d) > kMaxExactInteger;
        if (beyond)
            return u"must be -9007199254740992..9007199254740992: initial values are held as doubles, which "
                   u"would change larger integers, got "_s +
                   got;
        break;
    }
    case clab::ElementType::Double:
        if (!std::isfinite(d))
            return u"must be a finite number (type double), got "_s + got;
        break;
    case clab::ElementType::Char:
        break;
    }
    return std::nullopt;
}

// Element errors are capped: a million bad elements say no more than the first few.
constexpr int kMaxElementErrors = 10;
QString moreElementsMessage(int more)
{
    return QString::number(more) + u" more elements are invalid"_s;
}

// ---------------------------------------------------------------------------------------------
// Keys

const QStringList kTopKeys{u"format"_s,     u"schemaVersion"_s,  u"name"_s,      u"topic"_s,     u"description"_s,
                           u"prediction"_s, u"execution"_s,      u"workers"_s,   u"duration"_s,  u"operations"_s,
                           u"warmup"_s,     u"sampleInterval"_s, u"placement"_s, u"primitive"_s, u"workload"_s,
                           u"variants"_s,   u"sweep"_s};
// Each family's keys, in the order they are written.
const QStringList kLockKeys{u"kind"_s, u"guard"_s, u"timingSampleEvery"_s};
const QStringList kSharedValueKeys{u"kind"_s, u"type"_s, u"guard"_s, u"length"_s, u"initial"_s, u"initialText"_s};
const QStringList kMessagingKeys{u"kind"_s,       u"transport"_s, u"pattern"_s,      u"messageSize"_s,
                                 u"queueDepth"_s, u"wake"_s,      u"keepCpusAwake"_s};
const QStringList kSemaphoreKeys{u"kind"_s, u"pattern"_s, u"permits"_s};
const QStringList kEventKeys{u"kind"_s, u"pattern"_s, u"implementation"_s, u"waitTimeout"_s, u"setInterval"_s};
const QStringList kSyncKeys{u"kind"_s,           u"lock"_s,          u"readShare"_s,
                            u"recursionDepth"_s, u"queueCapacity"_s, u"barrierImplementation"_s};
const QStringList kWorkKeys{u"kind"_s, u"gil"_s, u"switchInterval"_s};
const QStringList kLifecycleKeys{u"kind"_s,        u"mode"_s,     u"daemonWorkers"_s,
                                 u"joinTimeout"_s, u"mainWork"_s, u"execChild"_s};
// All of them in one order that respects each family's order (the canonical order on save).
const QStringList kPrimitiveKeys{u"kind"_s,
                                 u"type"_s,
                                 u"guard"_s,
                                 u"timingSampleEvery"_s,
                                 u"length"_s,
                                 u"initial"_s,
                                 u"initialText"_s,
                                 u"transport"_s,
                                 u"pattern"_s,
                                 u"messageSize"_s,
                                 u"queueDepth"_s,
                                 u"wake"_s,
                                 u"keepCpusAwake"_s,
                                 u"permits"_s,
                                 u"implementation"_s,
                                 u"waitTimeout"_s,
                                 u"setInterval"_s,
                                 u"lock"_s,
                                 u"readShare"_s,
                                 u"recursionDepth"_s,
                                 u"queueCapacity"_s,
                                 u"barrierImplementation"_s,
                                 u"gil"_s,
                                 u"switchInterval"_s,
                                 u"mode"_s,
                                 u"daemonWorkers"_s,
                                 u"joinTimeout"_s,
                                 u"mainWork"_s,
                                 u"execChild"_s};
const QStringList kWorkloadKeys{u"cpuWork"_s, u"criticalSection"_s, u"thinkTime"_s,   u"ioWait"_s,
                                u"memory"_s,  u"memoryStride"_s,    u"memoryBuffer"_s};
const QStringList kVariantKeys{u"label"_s, u"set"_s};
const QStringList kAxisKeys{u"parameter"_s, u"values"_s};

const QStringList &primitiveKeysOf(clab::PrimitiveKind k)
{
    switch (k) {
    case clab::PrimitiveKind::LockContention: return kLockKeys;
    case clab::PrimitiveKind::SharedValue: return kSharedValueKeys;
    case clab::PrimitiveKind::MessagePassing: return kMessagingKeys;
    case clab::PrimitiveKind::Semaphore: return kSemaphoreKeys;
    case clab::PrimitiveKind::Event: return kEventKeys;
    case clab::PrimitiveKind::Sync: return kSyncKeys;
    case clab::PrimitiveKind::Work: return kWorkKeys;
    case clab::PrimitiveKind::Lifecycle: return kLifecycleKeys;
    }
    return kPrimitiveKeys;
}

// "only for kind message-passing", "only for kind lock-contention or shared-value".
QString otherFamilyMessage(const QString &key)
{
    QStringList owners;
    for (const clab::PrimitiveKind k : kPrimitiveKinds) {
        if (primitiveKeysOf(k).contains(key))
            owners.append(name(k));
    }
    return u"only for kind "_s + owners.join(u" or "_s);
}

// Nested keys by their full path, so a key given one level too high gets a precise hint.
QStringList nestedPaths()
{
    QStringList paths;
    for (const QString &k : kPrimitiveKeys)
        paths.append(u"primitive."_s + k);
    for (const QString &k : kWorkloadKeys)
        paths.append(u"workload."_s + k);
    return paths;
}

// ---------------------------------------------------------------------------------------------
// Parsing a v1 object

class Parser {
public:
    QList<FieldError> errors;
    // False when "variants" or "sweep" is not shaped as the format says (wrong types, missing
    // keys): their finer rules are then not checked, as the indices would mean nothing.
    bool sweepShapeOk = true;

    void error(const QString &path, const QString &message) { errors.append({path, message}); }

    void rejectUnknown(const QJsonObject &o, const QString &prefix, const QStringList &known,
                       const QStringList &elsewhere = {})
    {
        for (auto it = o.begin(); it != o.end(); ++it) {
            if (known.contains(it.key()))
                continue;
            unknownKey(prefix, it.key(), known, elsewhere);
        }
    }

    void unknownKey(const QString &prefix, const QString &key, const QStringList &known,
                    const QStringList &elsewhere = {})
    {
        const QString hint = suggestKey(key, known, elsewhere);
        error(joinPath(prefix, displayKey(key)),
              hint.isEmpty() ? u"unknown field"_s : u"unknown field (did you mean "_s + quoted(hint) + u"?)"_s);
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

    std::optional<double> number(const QJsonValue &v, const QString &path)
    {
        if (!v.isDouble()) {
            error(path, u"must be a number, got "_s + detail::describeJson(v));
            return std::nullopt;
        }
        return v.toDouble();
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

    // Optional fields of a nested object. Each returns false when the key is present and invalid;
    // `out` keeps its default then (durations keep the value when only the range is wrong, as the
    // top-level durations always did).
    template<typename T>
    bool countField(const QJsonObject &o, const QString &prefix, const QString &key, double lo, double hi, T &out)
    {
        if (!o.contains(key))
            return true;
        const QString path = joinPath(prefix, key);
        const auto n = integer(o.value(key), path);
        if (!n)
            return false;
        if (const auto msg = checkCount(*n, lo, hi, detail::describeJson(o.value(key)))) {
            error(path, *msg);
            return false;
        }
        out = static_cast<T>(*n);
        return true;
    }

    bool durationField(const QJsonObject &o, const QString &prefix, const QString &key, std::uint64_t lo,
                       std::uint64_t hi, std::uint64_t &out)
    {
        if (!o.contains(key))
            return true;
        const QString path = joinPath(prefix, key);
        const auto ns = duration(o.value(key), path);
        if (!ns)
            return false;
        out = *ns;
        if (const auto msg = checkDuration(*ns, lo, hi)) {
            error(path, *msg);
            return false;
        }
        return true;
    }

    template<typename T>
    bool sizeField(const QJsonObject &o, const QString &prefix, const QString &key, std::uint64_t lo, std::uint64_t hi,
                   T &out)
    {
        if (!o.contains(key))
            return true;
        const QString path = joinPath(prefix, key);
        QString msg;
        const auto bytes = parseByteSize(o.value(key), &msg);
        if (!bytes) {
            error(path, msg);
            return false;
        }
        if (const auto range = checkBytes(*bytes, lo, hi)) {
            error(path, *range);
            return false;
        }
        out = static_cast<T>(*bytes);
        return true;
    }

    bool boolField(const QJsonObject &o, const QString &prefix, const QString &key, bool &out)
    {
        if (!o.contains(key))
            return true;
        const QJsonValue v = o.value(key);
        if (!v.isBool()) {
            error(joinPath(prefix, key), u"must be true or false, got "_s + detail::describeJson(v));
            return false;
        }
        out = v.toBool();
        return true;
    }

    // The value when present and valid, the default (`out`) when absent and optional; nullopt
    // when invalid or required and missing (the error is reported).
    template<typename E, std::size_t N>
    std::optional<E> enumField(const QJsonObject &o, const QString &prefix, const QString &key,
                               const std::array<E, N> &values, bool required, E &out)
    {
        if (!o.contains(key)) {
            if (required)
                error(joinPath(prefix, key), kRequired);
            return required ? std::nullopt : std::optional<E>(out);
        }
        const auto e = enumeration(o.value(key), joinPath(prefix, key), values);
        if (e)
            out = *e;
        return e;
    }

    clab::ExperimentSpec parse(const QJsonObject &o)
    {
        clab::ExperimentSpec spec;
        rejectUnknown(o, {}, kTopKeys, nestedPaths());

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

        std::optional<std::uint32_t> workers;
        if (!o.contains(u"workers"))
            error(u"workers"_s, kRequired);
        else if (const auto w = integer(o.value(u"workers"), u"workers"_s)) {
            if (const auto msg = checkCount(*w, clab::limits::kMinWorkers, clab::limits::kMaxWorkers,
                                            detail::describeJson(o.value(u"workers"))))
                error(u"workers"_s, *msg);
            else
                workers = spec.workers = static_cast<std::uint32_t>(*w);
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
            if (!hasOperations && workers && *workers > 1 && execution == clab::ExecutionModel::Sequential)
                error(u"duration"_s, sequentialDurationMessage(*workers));
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
            parsePrimitive(o.value(u"primitive").toObject(), spec, workers);

        spec.workload = {};
        if (o.contains(u"workload")) {
            if (!o.value(u"workload").isObject())
                error(u"workload"_s, u"must be an object, got "_s + detail::describeJson(o.value(u"workload")));
            else
                parseWorkload(o.value(u"workload").toObject(), spec.workload);
        }

        if (o.contains(u"variants"))
            parseVariants(o.value(u"variants"), spec);
        if (o.contains(u"sweep"))
            parseSweep(o.value(u"sweep"), spec);
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

    void parsePrimitive(const QJsonObject &p, clab::ExperimentSpec &spec, std::optional<std::uint32_t> workers)
    {
        const QString prefix = u"primitive"_s;
        std::optional<clab::PrimitiveKind> kind;
        if (!p.contains(u"kind"))
            error(u"primitive.kind"_s, kRequired);
        else if ((kind = enumeration(p.value(u"kind"), u"primitive.kind"_s, kPrimitiveKinds)))
            spec.primitive = *kind;

        // Keys of another family name that family; without a valid kind only truly unknown keys
        // can be judged.
        const QStringList &known = kind ? primitiveKeysOf(*kind) : kPrimitiveKeys;
        for (auto it = p.begin(); it != p.end(); ++it) {
            if (known.contains(it.key()))
                continue;
            if (kPrimitiveKeys.contains(it.key()))
                error(joinPath(prefix, it.key()), otherFamilyMessage(it.key()));
            else if (!suggestKey(it.key(), known, {}).isEmpty())
                unknownKey(prefix, it.key(), known);
            else
                unknownKey(prefix, it.key(), kPrimitiveKeys);
        }
        if (!kind)
            return;

        // decisive: the parameter the workers rule depends on parsed (or kept its default).
        bool decisive = true;
        switch (*kind) {
        case clab::PrimitiveKind::LockContention: {
            clab::LockContentionParams &l = spec.lock;
            enumField(p, prefix, u"guard"_s, kGuards, true, l.guard);
            countField(p, prefix, u"timingSampleEvery"_s, 1, clab::limits::kMaxTimingSampleEvery, l.timingSampleEvery);
            break;
        }
        case clab::PrimitiveKind::SharedValue:
            parseSharedValue(p, spec.sharedValue);
            break;
        case clab::PrimitiveKind::MessagePassing: {
            clab::MessagingParams &m = spec.messaging;
            const auto transport = enumField(p, prefix, u"transport"_s, kTransports, true, m.transport);
            enumField(p, prefix, u"pattern"_s, kMessagePatterns, false, m.pattern);
            sizeField(p, prefix, u"messageSize"_s, 1, clab::limits::kMaxMessageSize, m.messageSize);
            countField(p, prefix, u"queueDepth"_s, 0, clab::limits::kMaxQueueDepth, m.queueDepth);
            const auto wake = enumField(p, prefix, u"wake"_s, kWakeStrategies, false, m.wake);
            if (transport && wake == clab::WakeStrategy::Spinning && *transport != clab::Transport::ShmChannel)
                error(u"primitive.wake"_s, wakeMessage(*transport));
            boolField(p, prefix, u"keepCpusAwake"_s, m.keepCpusAwake);
            break;
        }
        case clab::PrimitiveKind::Semaphore: {
            clab::SemaphoreParams &sem = spec.semaphore;
            const auto pattern = enumField(p, prefix, u"pattern"_s, kSemaphorePatterns, false, sem.pattern);
            decisive = pattern.has_value();
            // Ping-pong passes one token per pair: it has no permits to count.
            if (p.contains(u"permits") && pattern == clab::SemaphorePattern::PingPong)
                error(u"primitive.permits"_s,
                      u"only for pattern "_s + QString::fromLatin1(clab::toString(clab::SemaphorePattern::Gate)));
            else
                countField(p, prefix, u"permits"_s, 1, clab::limits::kMaxPermits, sem.permits);
            break;
        }
        case clab::PrimitiveKind::Event: {
            clab::EventParams &e = spec.event;
            decisive = enumField(p, prefix, u"pattern"_s, kEventPatterns, false, e.pattern).has_value();
            enumField(p, prefix, u"implementation"_s, kEventImplementations, false, e.implementation);
            durationField(p, prefix, u"waitTimeout"_s, 0, kMaxTimeoutNs, e.waitTimeoutNs);
            durationField(p, prefix, u"setInterval"_s, 0, kMaxSetIntervalNs, e.setIntervalNs);
            break;
        }
        case clab::PrimitiveKind::Sync: {
            clab::SyncParams &s = spec.sync;
            const auto lock = enumField(p, prefix, u"lock"_s, kSyncKinds, true, s.kind);
            decisive = lock.has_value();
            const auto onlyFor = [&](const QString &key, clab::SyncKind k) {
                if (!p.contains(key) || !lock || *lock == k)
                    return true;
                error(joinPath(prefix, key), u"only for lock "_s + QString::fromLatin1(clab::toString(k)));
                return false;
            };
            if (onlyFor(u"readShare"_s, clab::SyncKind::RwLock) && p.contains(u"readShare")) {
                if (const auto d = number(p.value(u"readShare"), u"primitive.readShare"_s)) {
                    if (const auto msg = checkFraction(*d))
                        error(u"primitive.readShare"_s, *msg);
                    else
                        s.readShare = *d;
                }
            }
            if (onlyFor(u"recursionDepth"_s, clab::SyncKind::RecursiveMutex))
                countField(p, prefix, u"recursionDepth"_s, 1, clab::limits::kMaxRecursionDepth, s.recursionDepth);
            if (onlyFor(u"queueCapacity"_s, clab::SyncKind::CondVar))
                countField(p, prefix, u"queueCapacity"_s, 1, clab::limits::kMaxQueueCapacity, s.queueCapacity);
            if (onlyFor(u"barrierImplementation"_s, clab::SyncKind::Barrier))
                enumField(p, prefix, u"barrierImplementation"_s, kBarrierImplementations, false,
                          s.barrierImplementation);
            break;
        }
        case clab::PrimitiveKind::Work:
            boolField(p, prefix, u"gil"_s, spec.work.gil);
            durationField(p, prefix, u"switchInterval"_s, clab::limits::kMinSwitchIntervalNs,
                          clab::limits::kMaxSwitchIntervalNs, spec.work.switchIntervalNs);
            break;
        case clab::PrimitiveKind::Lifecycle: {
            clab::LifecycleParams &l = spec.lifecycle;
            const auto mode = enumField(p, prefix, u"mode"_s, kLifecycleModes, false, l.mode);
            const auto daemonOnly = [&](const QString &key) {
                if (!p.contains(key) || !mode || *mode == clab::LifecycleMode::Daemon)
                    return p.contains(key);
                error(joinPath(prefix, key), u"only for mode daemon"_s);
                return false;
            };
            if (daemonOnly(u"daemonWorkers"_s)) {
                const QJsonValue v = p.value(u"daemonWorkers");
                if (const auto n = integer(v, u"primitive.daemonWorkers"_s)) {
                    if (const auto msg = checkDaemonWorkers(*n, workers, detail::describeJson(v)))
                        error(u"primitive.daemonWorkers"_s, *msg);
                    else
                        l.daemonWorkers = static_cast<std::uint32_t>(*n);
                }
            }
            durationField(p, prefix, u"joinTimeout"_s, 0, kMaxTimeoutNs, l.joinTimeoutNs);
            if (daemonOnly(u"mainWork"_s))
                durationField(p, prefix, u"mainWork"_s, 0, kMaxTimeoutNs, l.mainWorkNs);
            // What the child of a create-join process does; daemon mode creates no children.
            if (p.contains(u"execChild") && mode == clab::LifecycleMode::Daemon)
                error(u"primitive.execChild"_s,
                      u"only for mode "_s + QString::fromLatin1(clab::toString(clab::LifecycleMode::CreateJoin)));
            else
                boolField(p, prefix, u"execChild"_s, l.execChild);
            break;
        }
        }
        if (workers && decisive) {
            if (const auto msg = checkWorkersForKind(spec))
                error(u"workers"_s, *msg);
        }
    }

    void parseSharedValue(const QJsonObject &p, clab::SharedValueParams &sv)
    {
        const QString prefix = u"primitive"_s;
        const auto type = enumField(p, prefix, u"type"_s, kElementTypes, true, sv.type);
        const auto guard = enumField(p, prefix, u"guard"_s, kValueGuards, false, sv.guard);
        if (p.contains(u"guard") && guard == clab::Guard::Atomic && type == clab::ElementType::Char)
            error(u"primitive.guard"_s, kAtomicChar);

        bool first = true;
        for (const QString &key : {u"length"_s, u"initial"_s, u"initialText"_s}) {
            if (!p.contains(key))
                continue;
            if (!first)
                error(joinPath(prefix, key), kOneOfLength);
            first = false;
        }
        countField(p, prefix, u"length"_s, 1, clab::limits::kMaxArrayLength, sv.length);
        if (p.contains(u"initial")) {
            if (type == clab::ElementType::Char)
                error(u"primitive.initial"_s, kInitialForChar);
            else
                parseInitial(p.value(u"initial"), type, sv);
        }
        if (p.contains(u"initialText")) {
            if (type && *type != clab::ElementType::Char) {
                error(u"primitive.initialText"_s, kTextForNumbers);
            } else if (const auto s = string(p.value(u"initialText"), u"primitive.initialText"_s)) {
                const QByteArray utf8 = s->toUtf8();
                if (utf8.isEmpty() || utf8.size() > static_cast<qsizetype>(clab::limits::kMaxArrayLength)) {
                    error(u"primitive.initialText"_s, textBytesMessage(utf8.size()));
                } else {
                    sv.initialText = utf8.toStdString();
                    sv.length = static_cast<std::uint32_t>(utf8.size());
                }
            }
        }
    }

    void parseInitial(const QJsonValue &v, std::optional<clab::ElementType> type, clab::SharedValueParams &sv)
    {
        const QString path = u"primitive.initial"_s;
        if (!v.isArray()) {
            error(path, u"must be an array of numbers, got "_s + detail::describeJson(v));
            return;
        }
        const QJsonArray a = v.toArray();
        if (a.isEmpty() || a.size() > static_cast<qsizetype>(clab::limits::kMaxArrayLength)) {
            error(path, elementCountMessage(static_cast<std::uint64_t>(a.size())));
            return;
        }
        std::vector<double> values;
        values.reserve(static_cast<std::size_t>(a.size()));
        int bad = 0;
        for (qsizetype i = 0; i < a.size(); ++i) {
            const QJsonValue e = a.at(i);
            std::optional<QString> msg;
            if (!e.isDouble()) {
                msg = u"must be a number, got "_s + detail::describeJson(e);
            } else if (type) {
                const qint64 exact = e.toInteger();
                const bool isInteger = e.toVariant().typeId() == QMetaType::LongLong;
                msg = checkElement(*type, e.toDouble(), isInteger ? &exact : nullptr, detail::describeJson(e));
            }
            if (msg) {
                if (bad++ < kMaxElementErrors)
                    error(path + u'[' + QString::number(i) + u']', *msg);
                continue;
            }
            values.push_back(e.toDouble());
        }
        if (bad > kMaxElementErrors)
            error(path, moreElementsMessage(bad - kMaxElementErrors));
        if (bad == 0) {
            sv.initial = std::move(values);
            sv.length = static_cast<std::uint32_t>(sv.initial.size());
        }
    }

    void parseWorkload(const QJsonObject &w, clab::Workload &out)
    {
        const QString prefix = u"workload"_s;
        rejectUnknown(w, prefix, kWorkloadKeys);
        for (const auto &[key, ns] : {std::pair{u"cpuWork"_s, &out.cpuWorkNs},
                                      std::pair{u"criticalSection"_s, &out.criticalSectionNs},
                                      std::pair{u"thinkTime"_s, &out.thinkTimeNs}, std::pair{u"ioWait"_s, &out.ioWaitNs}})
            durationField(w, prefix, key, 0, clab::limits::kMaxWorkNs, *ns);
        sizeField(w, prefix, u"memory"_s, 0, clab::limits::kMaxMemoryBufferBytes, out.memoryBytes);
        const bool strideOk = sizeField(w, prefix, u"memoryStride"_s, 1, kMaxMemoryStride, out.memoryStride);
        const bool bufferOk =
            sizeField(w, prefix, u"memoryBuffer"_s, kMinMemoryBuffer, clab::limits::kMaxMemoryBufferBytes,
                      out.memoryBufferBytes);
        if (strideOk && bufferOk && out.memoryBufferBytes < out.memoryStride)
            error(u"workload.memoryBuffer"_s, u"must be at least memoryStride ("_s +
                                                  QString::number(out.memoryStride) + u" bytes), got "_s +
                                                  QString::number(out.memoryBufferBytes));
    }

    // Shape only (types, required keys); what the paths and values mean is checked on the struct.
    void parseVariants(const QJsonValue &v, clab::ExperimentSpec &spec)
    {
        const qsizetype before = errors.size();
        const QString path = u"variants"_s;
        if (!v.isArray()) {
            error(path, u"must be an array of {\"label\": ..., \"set\": {...}} objects, got "_s +
                            detail::describeJson(v));
        } else if (v.toArray().isEmpty()) {
            error(path, u"must not be empty (leave it out for no variants)"_s);
        }
        const QJsonArray a = v.toArray();
        for (qsizetype i = 0; i < a.size(); ++i) {
            const QString vp = path + u'[' + QString::number(i) + u']';
            if (!a.at(i).isObject()) {
                error(vp, u"must be an object, got "_s + detail::describeJson(a.at(i)));
                continue;
            }
            const QJsonObject o = a.at(i).toObject();
            rejectUnknown(o, vp, kVariantKeys);
            clab::Variant variant;
            if (o.contains(u"label")) {
                if (const auto label = string(o.value(u"label"), vp + u".label"_s))
                    variant.label = label->toStdString();
            }
            if (!o.contains(u"set"))
                error(vp + u".set"_s, kRequired);
            else if (!o.value(u"set").isObject())
                error(vp + u".set"_s, u"must be an object of JSON path: value, got "_s +
                                          detail::describeJson(o.value(u"set")));
            const QJsonObject set = o.value(u"set").toObject();
            for (auto it = set.begin(); it != set.end(); ++it)
                variant.set.emplace_back(it.key().toStdString(), detail::jsonText(it.value()));
            spec.variants.push_back(std::move(variant));
        }
        if (errors.size() != before)
            sweepShapeOk = false;
        // An empty label is not "no label": the file says something it does not mean.
        for (qsizetype i = 0; i < a.size(); ++i) {
            const QJsonValue label = a.at(i).toObject().value(u"label");
            if (label.isString() && label.toString().isEmpty())
                error(path + u'[' + QString::number(i) + u"].label"_s,
                      u"must not be empty (leave it out to get \"variant "_s + QString::number(i + 1) + u"\")"_s);
        }
    }

    void parseSweep(const QJsonValue &v, clab::ExperimentSpec &spec)
    {
        const qsizetype before = errors.size();
        const QString path = u"sweep"_s;
        if (!v.isArray()) {
            error(path, u"must be an array of {\"parameter\": ..., \"values\": [...]} objects, got "_s +
                            detail::describeJson(v));
        } else if (v.toArray().isEmpty()) {
            error(path, u"must not be empty (leave it out for a single run)"_s);
        }
        const QJsonArray a = v.toArray();
        for (qsizetype i = 0; i < a.size(); ++i) {
            const QString ap = path + u'[' + QString::number(i) + u']';
            if (!a.at(i).isObject()) {
                error(ap, u"must be an object, got "_s + detail::describeJson(a.at(i)));
                continue;
            }
            const QJsonObject o = a.at(i).toObject();
            rejectUnknown(o, ap, kAxisKeys);
            clab::SweepAxis axis;
            if (!o.contains(u"parameter"))
                error(ap + u".parameter"_s, kRequired);
            else if (const auto p = string(o.value(u"parameter"), ap + u".parameter"_s))
                axis.parameter = p->toStdString();
            if (!o.contains(u"values"))
                error(ap + u".values"_s, kRequired);
            else if (!o.value(u"values").isArray())
                error(ap + u".values"_s, u"must be an array, got "_s + detail::describeJson(o.value(u"values")));
            const QJsonArray values = o.value(u"values").toArray();
            for (const QJsonValue &value : values)
                axis.values.push_back(detail::jsonText(value));
            spec.sweep.push_back(std::move(axis));
        }
        if (errors.size() != before)
            sweepShapeOk = false;
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

std::string jsonText(const QJsonValue &value)
{
    // QJsonDocument holds only arrays and objects: write [value] and take the brackets off.
    const QByteArray text = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return text.mid(1, text.size() - 2).toStdString();
}

std::optional<QJsonValue> parseJsonText(const std::string &text)
{
    QJsonParseError error;
    const QJsonDocument doc =
        QJsonDocument::fromJson(QByteArray('[' + QByteArray::fromStdString(text) + ']'), &error);
    if (error.error != QJsonParseError::NoError || !doc.isArray() || doc.array().size() != 1)
        return std::nullopt;
    return doc.array().at(0);
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

namespace {

// ---------------------------------------------------------------------------------------------
// Validation of the struct (the parser's rules, on values that are already typed)

// How a struct's enum value is shown in a message: as the file would spell it when it is a value
// of the enumeration (allowed elsewhere, not here), else by number.
template<typename E, std::size_t N> QString enumGot(E e, const std::array<E, N> &all)
{
    return isOneOf(e, all) ? quoted(QString::fromLatin1(clab::toString(e))) : enumNumber(e);
}

QList<FieldError> validateBase(const clab::ExperimentSpec &s)
{
    QList<FieldError> errors;
    const auto add = [&errors](const QString &path, const std::optional<QString> &msg) {
        if (msg)
            errors.append({path, *msg});
    };
    add(u"name"_s, checkName(QString::fromStdString(s.name)));
    const bool executionOk = isOneOf(s.execution, kExecutionModels);
    if (!executionOk)
        add(u"execution"_s, oneOfMessage(kExecutionModels, enumNumber(s.execution)));
    const auto workersMsg =
        checkCount(s.workers, clab::limits::kMinWorkers, clab::limits::kMaxWorkers, QString::number(s.workers));
    add(u"workers"_s, workersMsg);
    const std::optional<std::uint32_t> workers = workersMsg ? std::nullopt : std::optional<std::uint32_t>(s.workers);

    if (s.durationNs != 0 && s.operationsPerWorker != 0) {
        add(u"operations"_s, kBothModes);
    } else if (s.operationsPerWorker != 0) {
        add(u"operations"_s, checkCount(static_cast<double>(s.operationsPerWorker), 1,
                                        static_cast<double>(clab::limits::kMaxOperationsPerWorker),
                                        QString::number(s.operationsPerWorker)));
    } else { // both zero reads as a duration of zero: the default mode
        add(u"duration"_s, checkDuration(s.durationNs, clab::limits::kMinDurationNs, clab::limits::kMaxDurationNs));
        if (workers && *workers > 1 && s.execution == clab::ExecutionModel::Sequential)
            add(u"duration"_s, sequentialDurationMessage(*workers));
    }
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
        add(u"placement"_s, placementMessage(enumNumber(s.placement)));
    }

    if (!isOneOf(s.primitive, kPrimitiveKinds)) {
        add(u"primitive.kind"_s, oneOfMessage(kPrimitiveKinds, enumNumber(s.primitive)));
    } else {
        bool decisive = true;
        const auto count = [&](const QString &key, double v, double lo, double hi) {
            add(u"primitive."_s + key, checkCount(v, lo, hi, QString::number(v, 'g', 17)));
        };
        switch (s.primitive) {
        case clab::PrimitiveKind::LockContention:
            if (!isOneOf(s.lock.guard, kGuards))
                add(u"primitive.guard"_s, oneOfMessage(kGuards, enumNumber(s.lock.guard)));
            count(u"timingSampleEvery"_s, s.lock.timingSampleEvery, 1, clab::limits::kMaxTimingSampleEvery);
            break;
        case clab::PrimitiveKind::SharedValue: {
            const clab::SharedValueParams &v = s.sharedValue;
            const bool typeOk = isOneOf(v.type, kElementTypes);
            if (!typeOk)
                add(u"primitive.type"_s, oneOfMessage(kElementTypes, enumNumber(v.type)));
            if (!isOneOf(v.guard, kValueGuards))
                add(u"primitive.guard"_s, oneOfMessage(kValueGuards, enumGot(v.guard, kGuards)));
            else if (v.guard == clab::Guard::Atomic && v.type == clab::ElementType::Char)
                add(u"primitive.guard"_s, kAtomicChar);
            if (!typeOk)
                break;
            const bool isChar = v.type == clab::ElementType::Char;
            if (!v.initial.empty()) {
                if (isChar) {
                    add(u"primitive.initial"_s, kInitialForChar);
                } else if (v.initial.size() > clab::limits::kMaxArrayLength) {
                    add(u"primitive.initial"_s, elementCountMessage(v.initial.size()));
                } else {
                    int bad = 0;
                    for (std::size_t i = 0; i < v.initial.size(); ++i) {
                        const auto msg = checkElement(v.type, v.initial[i], nullptr, numberForMessage(v.initial[i]));
                        if (msg && bad++ < kMaxElementErrors)
                            add(u"primitive.initial["_s + QString::number(i) + u']', msg);
                    }
                    if (bad > kMaxElementErrors)
                        add(u"primitive.initial"_s, moreElementsMessage(bad - kMaxElementErrors));
                }
            }
            if (!v.initialText.empty()) {
                if (!isChar)
                    add(u"primitive.initialText"_s, kTextForNumbers);
                else if (v.initialText.size() > clab::limits::kMaxArrayLength)
                    add(u"primitive.initialText"_s, textBytesMessage(static_cast<qsizetype>(v.initialText.size())));
            }
            if (v.initial.empty() && v.initialText.empty())
                count(u"length"_s, v.length, 1, clab::limits::kMaxArrayLength);
            break;
        }
        case clab::PrimitiveKind::MessagePassing: {
            const clab::MessagingParams &m = s.messaging;
            const bool transportOk = isOneOf(m.transport, kTransports);
            if (!transportOk)
                add(u"primitive.transport"_s, oneOfMessage(kTransports, enumNumber(m.transport)));
            if (!isOneOf(m.pattern, kMessagePatterns))
                add(u"primitive.pattern"_s, oneOfMessage(kMessagePatterns, enumNumber(m.pattern)));
            add(u"primitive.messageSize"_s, checkBytes(m.messageSize, 1, clab::limits::kMaxMessageSize));
            count(u"queueDepth"_s, m.queueDepth, 0, clab::limits::kMaxQueueDepth);
            if (!isOneOf(m.wake, kWakeStrategies))
                add(u"primitive.wake"_s, oneOfMessage(kWakeStrategies, enumNumber(m.wake)));
            else if (transportOk && m.wake == clab::WakeStrategy::Spinning && m.transport != clab::Transport::ShmChannel)
                add(u"primitive.wake"_s, wakeMessage(m.transport));
            break;
        }
        case clab::PrimitiveKind::Semaphore:
            decisive = isOneOf(s.semaphore.pattern, kSemaphorePatterns);
            if (!decisive)
                add(u"primitive.pattern"_s, oneOfMessage(kSemaphorePatterns, enumNumber(s.semaphore.pattern)));
            if (s.semaphore.pattern == clab::SemaphorePattern::Gate)
                count(u"permits"_s, s.semaphore.permits, 1, clab::limits::kMaxPermits);
            break;
        case clab::PrimitiveKind::Event:
            decisive = isOneOf(s.event.pattern, kEventPatterns);
            if (!decisive)
                add(u"primitive.pattern"_s, oneOfMessage(kEventPatterns, enumNumber(s.event.pattern)));
            if (!isOneOf(s.event.implementation, kEventImplementations))
                add(u"primitive.implementation"_s,
                    oneOfMessage(kEventImplementations, enumNumber(s.event.implementation)));
            add(u"primitive.waitTimeout"_s, checkDuration(s.event.waitTimeoutNs, 0, kMaxTimeoutNs));
            add(u"primitive.setInterval"_s, checkDuration(s.event.setIntervalNs, 0, kMaxSetIntervalNs));
            break;
        case clab::PrimitiveKind::Sync:
            decisive = isOneOf(s.sync.kind, kSyncKinds);
            if (!decisive)
                add(u"primitive.lock"_s, oneOfMessage(kSyncKinds, enumNumber(s.sync.kind)));
            if (s.sync.kind == clab::SyncKind::RwLock)
                add(u"primitive.readShare"_s, checkFraction(s.sync.readShare));
            if (s.sync.kind == clab::SyncKind::RecursiveMutex)
                count(u"recursionDepth"_s, s.sync.recursionDepth, 1, clab::limits::kMaxRecursionDepth);
            if (s.sync.kind == clab::SyncKind::CondVar)
                count(u"queueCapacity"_s, s.sync.queueCapacity, 1, clab::limits::kMaxQueueCapacity);
            if (s.sync.kind == clab::SyncKind::Barrier &&
                !isOneOf(s.sync.barrierImplementation, kBarrierImplementations))
                add(u"primitive.barrierImplementation"_s,
                    oneOfMessage(kBarrierImplementations, enumNumber(s.sync.barrierImplementation)));
            break;
        case clab::PrimitiveKind::Work:
            add(u"primitive.switchInterval"_s, checkDuration(s.work.switchIntervalNs, clab::limits::kMinSwitchIntervalNs,
                                                             clab::limits::kMaxSwitchIntervalNs));
            break;
        case clab::PrimitiveKind::Lifecycle: {
            const clab::LifecycleParams &l = s.lifecycle;
            if (!isOneOf(l.mode, kLifecycleModes))
                add(u"primitive.mode"_s, oneOfMessage(kLifecycleModes, enumNumber(l.mode)));
            if (l.mode == clab::LifecycleMode::Daemon)
                add(u"primitive.daemonWorkers"_s,
                    checkDaemonWorkers(l.daemonWorkers, workers, QString::number(l.daemonWorkers)));
            add(u"primitive.joinTimeout"_s, checkDuration(l.joinTimeoutNs, 0, kMaxTimeoutNs));
            if (l.mode == clab::LifecycleMode::Daemon)
                add(u"primitive.mainWork"_s, checkDuration(l.mainWorkNs, 0, kMaxTimeoutNs));
            break;
        }
        }
        if (workers && decisive)
            add(u"workers"_s, checkWorkersForKind(s));
    }

    const clab::Workload &w = s.workload;
    add(u"workload.cpuWork"_s, checkDuration(w.cpuWorkNs, 0, clab::limits::kMaxWorkNs));
    add(u"workload.criticalSection"_s, checkDuration(w.criticalSectionNs, 0, clab::limits::kMaxWorkNs));
    add(u"workload.thinkTime"_s, checkDuration(w.thinkTimeNs, 0, clab::limits::kMaxWorkNs));
    add(u"workload.ioWait"_s, checkDuration(w.ioWaitNs, 0, clab::limits::kMaxWorkNs));
    add(u"workload.memory"_s, checkBytes(w.memoryBytes, 0, clab::limits::kMaxMemoryBufferBytes));
    const auto strideMsg = checkBytes(w.memoryStride, 1, kMaxMemoryStride);
    const auto bufferMsg = checkBytes(w.memoryBufferBytes, kMinMemoryBuffer, clab::limits::kMaxMemoryBufferBytes);
    add(u"workload.memoryStride"_s, strideMsg);
    add(u"workload.memoryBuffer"_s, bufferMsg);
    if (!strideMsg && !bufferMsg && w.memoryBufferBytes < w.memoryStride)
        add(u"workload.memoryBuffer"_s, u"must be at least memoryStride ("_s + QString::number(w.memoryStride) +
                                            u" bytes), got "_s + QString::number(w.memoryBufferBytes));
    return errors;
}

// ---------------------------------------------------------------------------------------------
// Writing

QJsonValue enumJson(auto e)
{
    return QLatin1String(clab::toString(e));
}

// canonical: every parameter of the family (what a file holds). Otherwise optional parameters
// at their defaults are left out: the base of sweep points and overrides, so that changing
// primitive.lock or primitive.mode does not trip over a default the file never spelled out.
QJsonObject primitiveJson(const clab::ExperimentSpec &s, bool canonical)
{
    QJsonObject p{{u"kind"_s, enumJson(s.primitive)}};
    const auto put = [&p, canonical](const QString &key, const QJsonValue &v, bool isDefault) {
        if (canonical || !isDefault)
            p.insert(key, v);
    };
    switch (s.primitive) {
    case clab::PrimitiveKind::LockContention: {
        const clab::LockContentionParams d;
        p.insert(u"guard", enumJson(s.lock.guard));
        put(u"timingSampleEvery"_s, static_cast<qint64>(s.lock.timingSampleEvery),
            s.lock.timingSampleEvery == d.timingSampleEvery);
        break;
    }
    case clab::PrimitiveKind::SharedValue: {
        const clab::SharedValueParams &v = s.sharedValue;
        p.insert(u"type", enumJson(v.type));
        put(u"guard"_s, enumJson(v.guard), v.guard == clab::SharedValueParams{}.guard);
        if (!v.initial.empty()) {
            QJsonArray a;
            for (const double d : v.initial)
                a.append(d);
            p.insert(u"initial", a);
        }
        if (!v.initialText.empty())
            p.insert(u"initialText", QString::fromStdString(v.initialText));
        if (v.initial.empty() && v.initialText.empty())
            put(u"length"_s, static_cast<qint64>(v.length), v.length == 1);
        break;
    }
    case clab::PrimitiveKind::MessagePassing: {
        const clab::MessagingParams &m = s.messaging;
        const clab::MessagingParams d;
        p.insert(u"transport", enumJson(m.transport));
        put(u"pattern"_s, enumJson(m.pattern), m.pattern == d.pattern);
        put(u"messageSize"_s, formatByteSize(m.messageSize), m.messageSize == d.messageSize);
        put(u"queueDepth"_s, static_cast<qint64>(m.queueDepth), m.queueDepth == d.queueDepth);
        put(u"wake"_s, enumJson(m.wake), m.wake == d.wake);
        put(u"keepCpusAwake"_s, m.keepCpusAwake, m.keepCpusAwake == d.keepCpusAwake);
        break;
    }
    case clab::PrimitiveKind::Semaphore: {
        const clab::SemaphoreParams d;
        put(u"pattern"_s, enumJson(s.semaphore.pattern), s.semaphore.pattern == d.pattern);
        if (s.semaphore.pattern == clab::SemaphorePattern::Gate)
            put(u"permits"_s, static_cast<qint64>(s.semaphore.permits), s.semaphore.permits == d.permits);
        break;
    }
    case clab::PrimitiveKind::Event: {
        const clab::EventParams d;
        put(u"pattern"_s, enumJson(s.event.pattern), s.event.pattern == d.pattern);
        put(u"implementation"_s, enumJson(s.event.implementation), s.event.implementation == d.implementation);
        put(u"waitTimeout"_s, formatDuration(s.event.waitTimeoutNs), s.event.waitTimeoutNs == d.waitTimeoutNs);
        put(u"setInterval"_s, formatDuration(s.event.setIntervalNs), s.event.setIntervalNs == d.setIntervalNs);
        break;
    }
    case clab::PrimitiveKind::Sync: {
        const clab::SyncParams d;
        p.insert(u"lock", enumJson(s.sync.kind));
        if (s.sync.kind == clab::SyncKind::RwLock)
            put(u"readShare"_s, s.sync.readShare, s.sync.readShare == d.readShare);
        if (s.sync.kind == clab::SyncKind::RecursiveMutex)
            put(u"recursionDepth"_s, static_cast<qint64>(s.sync.recursionDepth),
                s.sync.recursionDepth == d.recursionDepth);
        if (s.sync.kind == clab::SyncKind::CondVar)
            put(u"queueCapacity"_s, static_cast<qint64>(s.sync.queueCapacity), s.sync.queueCapacity == d.queueCapacity);
        if (s.sync.kind == clab::SyncKind::Barrier)
            put(u"barrierImplementation"_s, enumJson(s.sync.barrierImplementation),
                s.sync.barrierImplementation == d.barrierImplementation);
        break;
    }
    case clab::PrimitiveKind::Work: {
        const clab::WorkParams d;
        put(u"gil"_s, s.work.gil, s.work.gil == d.gil);
        put(u"switchInterval"_s, formatDuration(s.work.switchIntervalNs), s.work.switchIntervalNs == d.switchIntervalNs);
        break;
    }
    case clab::PrimitiveKind::Lifecycle: {
        const clab::LifecycleParams &l = s.lifecycle;
        const clab::LifecycleParams d;
        put(u"mode"_s, enumJson(l.mode), l.mode == d.mode);
        if (l.mode == clab::LifecycleMode::Daemon)
            put(u"daemonWorkers"_s, static_cast<qint64>(l.daemonWorkers), l.daemonWorkers == d.daemonWorkers);
        put(u"joinTimeout"_s, formatDuration(l.joinTimeoutNs), l.joinTimeoutNs == d.joinTimeoutNs);
        if (l.mode == clab::LifecycleMode::Daemon)
            put(u"mainWork"_s, formatDuration(l.mainWorkNs), l.mainWorkNs == d.mainWorkNs);
        if (l.mode == clab::LifecycleMode::CreateJoin)
            put(u"execChild"_s, l.execChild, l.execChild == d.execChild);
        break;
    }
    }
    return p;
}

QJsonObject workloadJson(const clab::Workload &w)
{
    QJsonObject o{{u"cpuWork"_s, formatDuration(w.cpuWorkNs)},
                  {u"criticalSection"_s, formatDuration(w.criticalSectionNs)},
                  {u"thinkTime"_s, formatDuration(w.thinkTimeNs)},
                  {u"ioWait"_s, formatDuration(w.ioWaitNs)}};
    // The memory-bound work is written only when used (any of its three keys is not at its
    // default), so files that do not use it keep the form they had before it existed.
    const clab::Workload d;
    if (w.memoryBytes != d.memoryBytes || w.memoryStride != d.memoryStride || w.memoryBufferBytes != d.memoryBufferBytes) {
        o.insert(u"memory", formatByteSize(w.memoryBytes));
        o.insert(u"memoryStride", formatByteSize(w.memoryStride));
        o.insert(u"memoryBuffer", formatByteSize(w.memoryBufferBytes));
    }
    return o;
}

QJsonValue valueOfText(const std::string &text)
{
    return detail::parseJsonText(text).value_or(QJsonValue(QJsonValue::Null));
}

QJsonObject experimentJson(const clab::ExperimentSpec &s, bool canonical)
{
    QJsonObject o;
    o.insert(u"format", QLatin1String(kExperimentFormat));
    o.insert(u"schemaVersion", kExperimentSchemaVersion);
    o.insert(u"name", QString::fromStdString(s.name));
    o.insert(u"topic", QString::fromStdString(s.topic));
    o.insert(u"description", QString::fromStdString(s.description));
    o.insert(u"prediction", QString::fromStdString(s.prediction));
    o.insert(u"execution", enumJson(s.execution));
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
        o.insert(u"placement", enumJson(s.placement));
    }
    o.insert(u"primitive", primitiveJson(s, canonical));
    o.insert(u"workload", workloadJson(s.workload));
    if (!s.variants.empty()) {
        QJsonArray variants;
        for (const clab::Variant &v : s.variants) {
            QJsonObject set;
            for (const auto &[path, text] : v.set)
                set.insert(QString::fromStdString(path), valueOfText(text));
            QJsonObject variant{{u"set"_s, set}};
            if (!v.label.empty())
                variant.insert(u"label", QString::fromStdString(v.label));
            variants.append(variant);
        }
        o.insert(u"variants", variants);
    }
    if (!s.sweep.empty()) {
        QJsonArray sweep;
        for (const clab::SweepAxis &a : s.sweep) {
            QJsonArray values;
            for (const std::string &text : a.values)
                values.append(valueOfText(text));
            sweep.append(QJsonObject{{u"parameter"_s, QString::fromStdString(a.parameter)}, {u"values"_s, values}});
        }
        o.insert(u"sweep", sweep);
    }
    return o;
}

// ---------------------------------------------------------------------------------------------
// Sweeps, variants and overrides: values written at JSON paths of the base experiment

const QStringList kFixedKeys{u"format"_s, u"schemaVersion"_s, u"variants"_s, u"sweep"_s};

const QStringList &variablePaths()
{
    static const QStringList paths = [] {
        QStringList p;
        for (const QString &k : kTopKeys) {
            if (!kFixedKeys.contains(k))
                p.append(k);
        }
        return p + nestedPaths();
    }();
    return paths;
}

// nullopt when `path` may be set by a variant, a sweep axis or --set; else why not. withName:
// the message names the path (for "sweep[0].parameter", whose path is not the parameter).
std::optional<QString> checkVariablePath(const QString &path, bool withName)
{
    if (variablePaths().contains(path))
        return std::nullopt;
    if (path.isEmpty())
        return u"must not be empty"_s;
    const QString named = withName ? detail::describeJson(QJsonValue(path)) + u' ' : QString();
    if (kFixedKeys.contains(path))
        return named + u"cannot be varied"_s;
    QString hint = suggestKey(path, variablePaths(), nestedPaths());
    if (hint.isEmpty() && path.contains(u'.')) // "workload.guard": the right key under another object
        hint = suggestKey(path.section(u'.', -1), {}, nestedPaths());
    return u"unknown field"_s + (withName ? u' ' + detail::describeJson(QJsonValue(path)) : QString()) +
           (hint.isEmpty() ? QString() : u" (did you mean "_s + quoted(hint) + u"?)"_s);
}

bool overlaps(const QString &a, const QString &b)
{
    return a == b || a.startsWith(b + u'.') || b.startsWith(a + u'.');
}

struct Applied {
    QString path;
    QJsonValue value;
    QString origin;     // "variants[0].set.workers", "sweep[1].values[0]", "--set workers"
    bool pathInMessage; // errors at `path` itself still name it (the origin does not)
};

// Keys that are alternatives of each other: setting one removes the others the base gave.
QStringList alternativesOf(const QString &path)
{
    static const QStringList modes{u"duration"_s, u"operations"_s};
    static const QStringList contents{u"primitive.length"_s, u"primitive.initial"_s, u"primitive.initialText"_s};
    for (const QStringList *group : {&modes, &contents}) {
        if (group->contains(path)) {
            QStringList others = *group;
            others.removeAll(path);
            return others;
        }
    }
    return {};
}

void setAt(QJsonObject &o, const QString &path, const QJsonValue *value)
{
    const qsizetype dot = path.indexOf(u'.');
    if (dot < 0) {
        if (value)
            o.insert(path, *value);
        else
            o.remove(path);
        return;
    }
    const QString head = path.left(dot);
    QJsonObject child = o.value(head).toObject();
    if (value)
        child.insert(path.mid(dot + 1), *value);
    else
        child.remove(path.mid(dot + 1));
    o.insert(head, child);
}

QJsonObject applyValues(QJsonObject o, const QList<Applied> &applied)
{
    for (const Applied &a : applied)
        setAt(o, a.path, &a.value);
    for (const Applied &a : applied) {
        for (const QString &alt : alternativesOf(a.path)) {
            if (std::none_of(applied.begin(), applied.end(), [&alt](const Applied &b) { return b.path == alt; }))
                setAt(o, alt, nullptr);
        }
    }
    return o;
}

// An error of an experiment built with `applied`, addressed to where its value came from.
std::optional<FieldError> attribute(const FieldError &e, const QList<Applied> &applied)
{
    for (auto it = applied.rbegin(); it != applied.rend(); ++it) { // later values override earlier ones
        const Applied &a = *it;
        if (e.path == a.path || e.path.startsWith(a.path + u'.') || e.path.startsWith(a.path + u'['))
            return FieldError{a.origin, e.path == a.path && !a.pathInMessage ? e.message : e.path + u": "_s + e.message};
    }
    return std::nullopt;
}

// Errors of many points: each distinct error once, in the order first seen. An error that no
// single value caused (a combination) keeps its experiment path and names the point it was
// found in, and how many more points have it.
class PointErrors {
public:
    void add(const FieldError &e)
    {
        if (!m_errors.contains(e))
            m_errors.append(e);
    }
    void addCombination(const FieldError &e, const QString &where)
    {
        const QString key = e.path + u'\n' + e.message;
        auto it = m_combined.find(key);
        if (it != m_combined.end()) {
            ++it->more;
            return;
        }
        m_combined.insert(key, {m_errors.size(), where, 0});
        m_errors.append(e);
    }
    QList<FieldError> take()
    {
        for (const Combined &c : std::as_const(m_combined)) {
            QString &msg = m_errors[c.index].message;
            msg += u" ("_s + c.where + (c.more > 0 ? u" and "_s + QString::number(c.more) + u" more"_s : QString()) + u')';
        }
        m_combined.clear();
        return std::exchange(m_errors, {});
    }

private:
    struct Combined {
        qsizetype index;
        QString where;
        int more;
    };
    QList<FieldError> m_errors;
    QHash<QString, Combined> m_combined;
};

QString variantLabel(const clab::ExperimentSpec &s, std::size_t i)
{
    return s.variants[i].label.empty() ? u"variant "_s + QString::number(i + 1)
                                       : QString::fromStdString(s.variants[i].label);
}

// Values in labels: strings as they are ("4 KiB", "pipe"), anything else as compact JSON.
QString valueLabel(const QJsonValue &v)
{
    return v.isString() ? v.toString() : QString::fromStdString(detail::jsonText(v));
}

clab::ExperimentSpec withoutSweep(clab::ExperimentSpec s)
{
    s.variants.clear();
    s.sweep.clear();
    return s;
}

// The shape and the meaning of "variants" and "sweep", and (when the base is valid) every point
// they give, validated as a whole experiment. Appends the points to *points when given.
QList<FieldError> sweepErrors(const clab::ExperimentSpec &s, bool baseOk, QList<SweepPoint> *points)
{
    QList<FieldError> errors;
    const auto add = [&errors](const QString &path, const QString &msg) { errors.append({path, msg}); };

    std::vector<QList<Applied>> variantValues;
    QHash<QString, std::size_t> labels;
    for (std::size_t i = 0; i < s.variants.size(); ++i) {
        const clab::Variant &v = s.variants[i];
        const QString vp = u"variants["_s + QString::number(i) + u']';
        const QString label = QString::fromStdString(v.label);
        if (!label.isEmpty() && label.trimmed().isEmpty())
            add(vp + u".label"_s, u"must not be blank"_s);
        else if (const auto chars = label.toUcs4().size(); chars > 200)
            add(vp + u".label"_s, u"must be at most 200 characters, got "_s + QString::number(chars));
        const QString effective = variantLabel(s, i);
        if (const auto it = labels.constFind(effective); it != labels.constEnd())
            add(label.isEmpty() ? vp : vp + u".label"_s,
                quoted(effective) + u" is also the label of variants["_s + QString::number(*it) + u']');
        else
            labels.insert(effective, i);

        QList<Applied> applied;
        for (const auto &[key, text] : v.set) {
            const QString path = QString::fromStdString(key);
            const QString kp = vp + u".set."_s + displayKey(path);
            if (const auto msg = checkVariablePath(path, false)) {
                add(kp, *msg);
                continue;
            }
            const auto other = std::find_if(applied.begin(), applied.end(),
                                            [&path](const Applied &a) { return overlaps(a.path, path); });
            if (other != applied.end()) {
                add(kp, other->path == path ? u"set more than once"_s
                                            : u"overlaps "_s + quoted(other->path) + u" (set one or the other)"_s);
                continue;
            }
            const auto value = detail::parseJsonText(text);
            if (!value) {
                add(kp, u"not a JSON value: "_s + detail::describeJson(QString::fromStdString(text)));
                continue;
            }
            applied.append({path, *value, kp, false});
        }
        variantValues.push_back(std::move(applied));
    }

    std::vector<QList<Applied>> axisValues;
    for (std::size_t j = 0; j < s.sweep.size(); ++j) {
        const clab::SweepAxis &axis = s.sweep[j];
        const QString ap = u"sweep["_s + QString::number(j) + u']';
        const QString param = QString::fromStdString(axis.parameter);
        if (const auto msg = checkVariablePath(param, true)) {
            add(ap + u".parameter"_s, *msg);
        } else {
            for (std::size_t k = 0; k < j; ++k) {
                const QString other = QString::fromStdString(s.sweep[k].parameter);
                if (overlaps(param, other)) {
                    add(ap + u".parameter"_s, quoted(param) +
                                                  (param == other ? u" is already swept by sweep["_s
                                                                  : u" overlaps "_s + quoted(other) + u" of sweep["_s) +
                                                  QString::number(k) + u']');
                    break;
                }
            }
            for (std::size_t i = 0; i < variantValues.size(); ++i) {
                if (std::any_of(variantValues[i].begin(), variantValues[i].end(),
                                [&param](const Applied &a) { return overlaps(a.path, param); })) {
                    add(ap + u".parameter"_s, quoted(param) + u" is also set by variants["_s + QString::number(i) +
                                                  u"] (a value may come from the variant or the sweep, not both)"_s);
                    break;
                }
            }
        }
        if (axis.values.empty())
            add(ap + u".values"_s, u"must not be empty"_s);
        QList<Applied> values;
        QHash<QString, std::size_t> seen;
        for (std::size_t k = 0; k < axis.values.size(); ++k) {
            const QString vp = ap + u".values["_s + QString::number(k) + u']';
            const auto value = detail::parseJsonText(axis.values[k]);
            if (!value) {
                add(vp, u"not a JSON value: "_s + detail::describeJson(QString::fromStdString(axis.values[k])));
                continue;
            }
            const QString text = QString::fromStdString(detail::jsonText(*value));
            if (const auto it = seen.constFind(text); it != seen.constEnd()) {
                add(vp, u"same as values["_s + QString::number(*it) + u']');
                continue;
            }
            seen.insert(text, k);
            values.append({param, *value, vp, true});
        }
        axisValues.push_back(std::move(values));
    }

    // Count before building anything: a product of a few long axes is astronomically large.
    constexpr std::uint64_t kCountCap = 1'000'000'000'000ULL;
    std::uint64_t count = std::max<std::size_t>(s.variants.size(), 1);
    QStringList factors;
    if (!s.variants.empty())
        factors.append(QString::number(s.variants.size()) + (s.variants.size() == 1 ? u" variant"_s : u" variants"_s));
    for (const clab::SweepAxis &axis : s.sweep) {
        const std::uint64_t n = axis.values.size();
        if (n != 0) // saturating: count stays at most kCountCap + 1
            count = count > (kCountCap + 1) / n ? kCountCap + 1 : std::min(count * n, kCountCap + 1);
        factors.append(QString::number(n));
    }
    if (count > static_cast<std::uint64_t>(kMaxSweepPoints)) {
        const QString n = count > kCountCap ? u"more than "_s + QString::number(kCountCap) : QString::number(count);
        const QString breakdown = factors.size() <= 8 ? u" ("_s + factors.join(u" \u00d7 "_s) + u')' : QString();
        add(s.sweep.empty() ? u"variants"_s : u"sweep"_s, u"gives "_s + n + u" points"_s + breakdown + u"; at most "_s +
                                                              QString::number(kMaxSweepPoints) + u" are allowed"_s);
    }
    if (!errors.isEmpty() || !baseOk)
        return errors;

    if (s.variants.empty() && s.sweep.empty()) {
        if (points)
            points->append(SweepPoint{{}, {}, withoutSweep(s)});
        return errors;
    }

    const QJsonObject base = experimentJson(withoutSweep(s), false);
    PointErrors pointErrors;
    const std::size_t variantCount = std::max<std::size_t>(s.variants.size(), 1);
    for (std::size_t v = 0; v < variantCount; ++v) {
        std::vector<qsizetype> at(axisValues.size(), 0); // odometer: the last axis turns fastest
        for (bool more = true; more;) {
            QList<Applied> applied = s.variants.empty() ? QList<Applied>() : variantValues[v];
            QStringList parts;
            if (!s.variants.empty())
                parts.append(variantLabel(s, v));
            for (std::size_t j = 0; j < axisValues.size(); ++j) {
                const Applied &a = axisValues[j][at[j]];
                applied.append(a);
                parts.append(a.path + u'=' + valueLabel(a.value));
            }
            const QString label = parts.join(u", "_s);

            Parser parser;
            clab::ExperimentSpec spec = parser.parse(applyValues(base, applied));
            for (const FieldError &e : std::as_const(parser.errors)) {
                if (const auto owned = attribute(e, applied))
                    pointErrors.add(*owned);
                else
                    pointErrors.addCombination(e, u"in point "_s + quoted(label));
            }
            if (points && parser.errors.isEmpty()) {
                SweepPoint point{label, {}, std::move(spec)};
                for (const Applied &a : std::as_const(applied))
                    point.values.append({a.path, a.value});
                points->append(std::move(point));
            }

            more = false;
            for (std::size_t j = axisValues.size(); j-- > 0;) {
                if (++at[j] < axisValues[j].size()) {
                    more = true;
                    break;
                }
                at[j] = 0;
            }
        }
    }
    errors = pointErrors.take();
    if (!errors.isEmpty() && points)
        points->clear();
    return errors;
}

// "--set PATH" as shown in errors: the path as typed unless it would break the line.
QString overrideOrigin(const QString &path)
{
    const bool plain = path.size() <= 100 && std::none_of(path.begin(), path.end(), [](QChar c) {
        return c.unicode() < 0x20 || c.unicode() == 0x7F;
    });
    return u"--set "_s + (plain ? path : detail::describeJson(QJsonValue(path)));
}

} // namespace

QJsonValue overrideValue(const QString &text)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray('[' + text.toUtf8() + ']'), &error);
    if (error.error == QJsonParseError::NoError && doc.isArray() && doc.array().size() == 1)
        return doc.array().at(0);
    return text;
}

QString formatByteSize(std::uint64_t bytes)
{
    for (const SizeUnit &u : {kSizeUnits[3], kSizeUnits[2], kSizeUnits[1]}) {
        if (bytes < u.bytes || (U128{bytes} * 1000) % u.bytes != 0)
            continue;
        QString out = QString::number(bytes / u.bytes);
        const auto frac = static_cast<std::uint64_t>(U128{bytes % u.bytes} * 1000 / u.bytes);
        if (frac != 0) {
            QString f = QString::number(frac).rightJustified(3, u'0');
            while (f.endsWith(u'0'))
                f.chop(1);
            out += u'.' + f;
        }
        return out + u' ' + QStringView(u.name);
    }
    return QString::number(bytes) + u" B"_s;
}

std::optional<std::uint64_t> parseByteSize(const QJsonValue &value, QString *error)
{
    const auto fail = [error](const QString &msg) -> std::optional<std::uint64_t> {
        if (error)
            *error = msg;
        return std::nullopt;
    };
    if (value.isString())
        return parseSizeString(value.toString(), error);
    if (!value.isDouble())
        return fail(kSizeExample + detail::describeJson(value));
    const double d = value.toDouble();
    if (d < 0)
        return fail(u"must not be negative, got "_s + detail::describeJson(value));
    if (d != std::trunc(d))
        return fail(u"must be a whole number of bytes, got "_s + detail::describeJson(value));
    if (d >= 18446744073709551616.0)
        return fail(u"too large, got "_s + detail::describeJson(value));
    // Qt keeps integers below 2^63 exactly; larger ones are doubles, exact as well when whole.
    return d < 9223372036854775808.0 ? static_cast<std::uint64_t>(value.toInteger()) : static_cast<std::uint64_t>(d);
}

QList<FieldError> validateExperiment(const clab::ExperimentSpec &s)
{
    QList<FieldError> errors = validateBase(s);
    errors += sweepErrors(s, errors.isEmpty(), nullptr);
    return errors;
}

QList<SweepPoint> expandSweep(const clab::ExperimentSpec &spec, QList<FieldError> *errors)
{
    QList<FieldError> found = validateBase(spec);
    QList<SweepPoint> points;
    found += sweepErrors(spec, found.isEmpty(), &points);
    if (!found.isEmpty())
        points.clear();
    if (errors)
        *errors = std::move(found);
    return points;
}

std::optional<clab::ExperimentSpec> applyOverrides(const clab::ExperimentSpec &spec,
                                                   const QList<QPair<QString, QString>> &overrides,
                                                   QList<FieldError> *errors)
{
    QList<FieldError> found = validateExperiment(spec);
    const auto finish = [&]() -> std::optional<clab::ExperimentSpec> {
        if (errors)
            *errors = found;
        return std::nullopt;
    };
    if (!found.isEmpty())
        return finish();

    QList<Applied> applied;
    QStringList given;
    for (const auto &[path, text] : overrides) {
        const QString origin = overrideOrigin(path);
        if (const auto msg = checkVariablePath(path, false)) {
            found.append({origin, *msg});
            continue;
        }
        const auto other = std::find_if(applied.begin(), applied.end(),
                                        [&path](const Applied &a) { return overlaps(a.path, path); });
        if (other != applied.end()) {
            found.append({origin, other->path == path ? u"given more than once"_s
                                                      : u"overlaps "_s + other->origin + u" (give one or the other)"_s});
            continue;
        }
        // A value every point takes from the sweep, or from every variant, would never be used.
        for (std::size_t j = 0; j < spec.sweep.size(); ++j) {
            if (overlaps(QString::fromStdString(spec.sweep[j].parameter), path)) {
                found.append({origin, u"the sweep sets this for every point (sweep["_s + QString::number(j) +
                                          u"]), so the override would have no effect"_s});
                break;
            }
        }
        const bool everyVariant =
            !spec.variants.empty() && std::all_of(spec.variants.begin(), spec.variants.end(), [&path](const auto &v) {
                return std::any_of(v.set.begin(), v.set.end(), [&path](const auto &entry) {
                    return overlaps(QString::fromStdString(entry.first), path);
                });
            });
        if (everyVariant)
            found.append({origin, u"every variant sets this, so the override would have no effect"_s});
        applied.append({path, overrideValue(text), origin, false});
        given.append(origin + u'=' + text);
    }
    if (!found.isEmpty())
        return finish();
    if (applied.isEmpty()) {
        if (errors)
            errors->clear();
        return spec;
    }

    // The base as sweep points see it, with the sweep kept so it is validated with the overrides.
    QJsonObject base = experimentJson(withoutSweep(spec), false);
    const QJsonObject full = experimentJson(spec, true);
    for (const QString &key : {u"variants"_s, u"sweep"_s}) {
        if (full.contains(key))
            base.insert(key, full.value(key));
    }
    Parser parser;
    clab::ExperimentSpec result = parser.parse(applyValues(base, applied));
    // Every error comes from the overrides (the experiment was valid without them).
    const QString with = u" (with "_s + given.join(u", "_s) + u')';
    for (const FieldError &e : std::as_const(parser.errors)) {
        const auto owned = attribute(e, applied);
        found.append(owned ? *owned : FieldError{e.path, e.message + with});
    }
    if (parser.sweepShapeOk) {
        for (FieldError e : sweepErrors(result, parser.errors.isEmpty(), nullptr)) {
            e.message += with;
            found.append(e);
        }
    }
    if (!found.isEmpty())
        return finish();
    if (errors)
        errors->clear();
    return result;
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
    // The sweep's own rules and its points, unless its shape is already broken.
    if (parser.sweepShapeOk)
        load.errors += sweepErrors(spec, parser.errors.isEmpty(), nullptr);
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
    return experimentJson(s, true);
}

namespace detail {
KeyOrder experimentKeyOrder(const QString &prefix)
{
    return {{prefix, kTopKeys},
            {joinPath(prefix, u"primitive"_s), kPrimitiveKeys},
            {joinPath(prefix, u"workload"_s), kWorkloadKeys},
            {joinPath(prefix, u"variants[]"_s), kVariantKeys},
            {joinPath(prefix, u"sweep[]"_s), kAxisKeys}};
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
