// Scaling-view figures of a sweep: every metric from clab::metrics, the family's figures or the model.
#include "sweep_summary.h"

#include "format.h"
#include "metrics.h"

#include <QJsonObject>

#include <algorithm>
#include <map>

namespace clab::app {

namespace {

const NamedFigure *figure(const RunResult &r, const char *name)
{
    for (const NamedFigure &f : r.figures) {
        if (f.name == name)
            return &f;
    }
    return nullptr;
}

// A short text for an axis value: strings as written, numbers plainly, objects as their
// non-zero entries ("cpuWork=500 us").
QString valueText(const QJsonValue &v)
{
    if (v.isString())
        return v.toString();
    if (v.isBool())
        return v.toBool() ? QStringLiteral("yes") : QStringLiteral("no");
    if (v.isDouble())
        return QString::number(v.toDouble(), 'g', 12);
    if (v.isObject()) {
        QStringList parts;
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it) {
            const QString t = valueText(it.value());
            if (t == QLatin1String("0") || t.startsWith(QLatin1String("0 ")) || t == QLatin1String("no"))
                continue;
            parts << it.key() + QLatin1Char('=') + t;
        }
        return parts.isEmpty() ? QStringLiteral("none") : parts.join(QStringLiteral(", "));
    }
    return QString::fromStdString(model::detail::jsonText(v));
}

struct Parsed {
    bool ok = false;
    bool bytes = false;
    double value = 0;
};

Parsed parseNumber(const QJsonValue &v, const QString &path)
{
    if (v.isDouble())
        return {true, path.endsWith(QLatin1String("Size")) || path.endsWith(QLatin1String("memory"))
                          || path.endsWith(QLatin1String("memoryBuffer")) || path.endsWith(QLatin1String("memoryStride")),
                v.toDouble()};
    if (v.isString()) {
        QString error;
        if (const auto bytes = model::parseByteSize(v, &error))
            return {true, true, static_cast<double>(*bytes)};
        if (const auto ns = model::parseDuration(v, &error))
            return {true, false, static_cast<double>(*ns)};
    }
    return {};
}

QString byteText(double bytes)
{
    return model::formatByteSize(static_cast<std::uint64_t>(bytes));
}

} // namespace

QString sweepParameterTitle(const QString &path)
{
    static const std::map<QString, QString> names{
        {QStringLiteral("workers"), QStringLiteral("Workers")},
        {QStringLiteral("execution"), QStringLiteral("Execution")},
        {QStringLiteral("placement"), QStringLiteral("Placement")},
        {QStringLiteral("duration"), QStringLiteral("Duration")},
        {QStringLiteral("operations"), QStringLiteral("Operations per worker")},
        {QStringLiteral("workload"), QStringLiteral("Workload")},
        {QStringLiteral("primitive.messageSize"), QStringLiteral("Message size")},
        {QStringLiteral("primitive.transport"), QStringLiteral("Transport")},
        {QStringLiteral("primitive.queueDepth"), QStringLiteral("Queue depth")},
        {QStringLiteral("primitive.permits"), QStringLiteral("Permits")},
        {QStringLiteral("primitive.guard"), QStringLiteral("Guard")},
        {QStringLiteral("primitive.lock"), QStringLiteral("Lock")},
        {QStringLiteral("primitive.readShare"), QStringLiteral("Read share")},
        {QStringLiteral("primitive.switchInterval"), QStringLiteral("Switch interval")},
        {QStringLiteral("workload.cpuWork"), QStringLiteral("CPU work per operation")},
        {QStringLiteral("workload.criticalSection"), QStringLiteral("Critical section")},
        {QStringLiteral("workload.ioWait"), QStringLiteral("IO wait per operation")},
        {QStringLiteral("workload.thinkTime"), QStringLiteral("Think time")},
        {QStringLiteral("workload.memory"), QStringLiteral("Memory written per operation")},
    };
    const auto it = names.find(path);
    return it != names.end() ? it->second : path;
}

SweepSummary summarizeSweep(const ExperimentSpec &base, const std::vector<model::PointResult> &points)
{
    SweepSummary s;
    QList<model::FieldError> errors;
    const QList<model::SweepPoint> expansion = model::expandSweep(base, &errors);
    s.pointsPlanned = static_cast<int>(expansion.size());
    const std::size_t variants = std::max<std::size_t>(base.variants.size(), 1);
    const std::size_t perVariant = std::max<std::size_t>(static_cast<std::size_t>(expansion.size()) / variants, 1);
    if (!base.variants.empty())
        s.baseline = QString::fromStdString(base.variants.front().label);

    const ExperimentSpec &first = points.empty() ? base : points.front().spec;
    if (first.primitive == PrimitiveKind::MessagePassing)
        s.headline = first.messaging.pattern == MessagePattern::PingPong ? SweepHeadline::RoundTrip : SweepHeadline::Streaming;

    std::vector<const RunResult *> results;
    results.reserve(points.size());
    for (const model::PointResult &p : points)
        results.push_back(&p.result);
    // The file's points are a prefix of the expansion, in its order (the runner runs them so);
    // matching by label keeps the variant right even if that ever changes.
    const std::vector<double> speedUps = model::sweepSpeedUps(results, perVariant);

    const bool hasAxes = !base.sweep.empty();
    s.xParameter = hasAxes ? QString::fromStdString(base.sweep.back().parameter) : QString();
    s.xTitle = hasAxes ? sweepParameterTitle(s.xParameter) : QStringLiteral("Variant");

    // The x value of each point, and whether they are all numbers of one kind.
    std::vector<QJsonValue> xs(points.size());
    bool numeric = true, bytes = true;
    std::vector<double> values(points.size(), 0);
    for (std::size_t i = 0; i < points.size(); ++i) {
        const model::PointResult &p = points[i];
        if (hasAxes) {
            for (auto it = p.values.crbegin(); it != p.values.crend(); ++it) {
                if (it->first == s.xParameter) {
                    xs[i] = it->second;
                    break;
                }
            }
            const Parsed parsed = parseNumber(xs[i], s.xParameter);
            numeric = numeric && parsed.ok;
            bytes = bytes && parsed.bytes;
            values[i] = parsed.value;
        } else {
            numeric = false;
        }
    }
    s.xNumeric = numeric && !points.empty();
    s.xBytes = s.xNumeric && bytes;

    // Series: the variant and the other axes' values, in order of first appearance.
    std::map<QString, int> seriesIndex;
    for (std::size_t i = 0; i < points.size(); ++i) {
        const model::PointResult &p = points[i];
        qsizetype at = expansion.size();
        for (qsizetype k = 0; k < expansion.size(); ++k) {
            if (expansion[k].label == p.label) {
                at = k;
                break;
            }
        }
        const std::size_t expIndex = at < expansion.size() ? static_cast<std::size_t>(at) : i;
        const int variant = static_cast<int>(std::min(expIndex / perVariant, variants - 1));
        QStringList parts;
        if (hasAxes) {
            const qsizetype axisStart = p.values.size() - static_cast<qsizetype>(base.sweep.size());
            for (qsizetype k = std::max<qsizetype>(axisStart, 0); k + 1 < p.values.size(); ++k)
                parts << valueText(p.values[k].second);
        }
        if (!base.variants.empty() && (hasAxes || variants > 1))
            parts << QString::fromStdString(base.variants[static_cast<std::size_t>(variant)].label);
        if (!hasAxes)
            parts = QStringList{QString::fromStdString(base.name)};
        const QString name = parts.isEmpty() ? QString::fromStdString(base.name) : parts.join(QStringLiteral(", "));
        auto [it, inserted] = seriesIndex.emplace(name, static_cast<int>(s.series.size()));
        if (inserted) {
            s.series << name;
            s.seriesVariant.push_back(hasAxes ? variant : 0);
        }

        SweepPointFigures f;
        f.point = static_cast<int>(i);
        f.label = p.label;
        f.series = it->second;
        f.status = QString::fromStdString(p.result.status);
        f.error = QString::fromStdString(p.result.error);
        const metrics::Totals t = metrics::totals(p.result.workers, p.result.wallNs);
        f.opsPerSecond = t.opsPerSecond;
        f.bytesPerSecond = t.bytesPerSecond;
        if (s.headline == SweepHeadline::Streaming) {
            if (const NamedFigure *b = figure(p.result, "bytesPerSecond"))
                f.bytesPerSecond = b->value;
        }
        if (s.headline == SweepHeadline::RoundTrip) {
            const NamedFigure *p50 = figure(p.result, "roundTripP50");
            const NamedFigure *p99 = figure(p.result, "roundTripP99");
            if (p50)
                f.p50Ns = p50->value;
            if (p99)
                f.p99Ns = p99->value;
        } else if (t.latency.count > 0) {
            f.p50Ns = t.latency.p50Ns;
            f.p99Ns = t.latency.p99Ns;
        }
        f.speedUp = speedUps[i];
        if (s.xNumeric) {
            f.x = values[i];
            f.xText = s.xBytes ? byteText(values[i]) : (xs[i].isString() ? xs[i].toString() : valueText(xs[i]));
        } else {
            f.xText = hasAxes ? valueText(xs[i])
                              : (base.variants.empty() ? p.label : QString::fromStdString(base.variants[static_cast<std::size_t>(variant)].label));
        }
        s.points.push_back(std::move(f));
    }

    // The x axis: numbers in ascending order, categories in the order they first ran.
    if (s.xNumeric) {
        std::vector<std::pair<double, QString>> ticks;
        for (const SweepPointFigures &f : s.points)
            ticks.emplace_back(f.x, f.xText);
        std::sort(ticks.begin(), ticks.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
        ticks.erase(std::unique(ticks.begin(), ticks.end(), [](const auto &a, const auto &b) { return a.first == b.first; }),
                    ticks.end());
        for (const auto &[v, text] : ticks) {
            s.xValues.push_back(v);
            s.xCategories << text;
        }
        const double lo = s.xValues.front(), hi = s.xValues.back();
        s.xLog = lo > 0 && hi / lo >= 8;
    } else {
        for (SweepPointFigures &f : s.points) {
            qsizetype k = s.xCategories.indexOf(f.xText);
            if (k < 0) {
                k = s.xCategories.size();
                s.xCategories << f.xText;
            }
            f.x = static_cast<double>(k);
        }
    }
    return s;
}

} // namespace clab::app
