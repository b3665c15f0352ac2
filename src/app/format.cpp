// Number formatting shared by every view.
#include "format.h"

#include <cmath>

namespace clab::app {

QString formatCount(double v)
{
    const double a = std::abs(v);
    // Three significant digits without switching to exponent notation (999.9 k stays "1000 k").
    const auto withPrefix = [](double x, const char *prefix) -> QString {
        const double ax = std::abs(x);
        const int decimals = ax < 10 ? 2 : ax < 100 ? 1 : 0;
        return QString::number(x, 'f', decimals) + QLatin1Char(' ') + QLatin1String(prefix);
    };
    if (a >= 1e9)
        return withPrefix(v / 1e9, "G");
    if (a >= 1e6)
        return withPrefix(v / 1e6, "M");
    if (a >= 1e4)
        return withPrefix(v / 1e3, "k");
    if (a >= 100 || v == std::floor(v))
        return QString::number(std::llround(v));
    return QString::number(v, 'f', a < 10 ? 2 : 1);
}

QString formatRate(double perSecond, const QString &unit)
{
    QString c = formatCount(perSecond);
    // "12.3 k" + "ops/s" → "12.3 k ops/s"; "987" → "987 ops/s"
    if (c.endsWith(QLatin1Char(' ')))
        return c + unit;
    return c + QLatin1Char(' ') + unit;
}

QString formatPercent(double fraction)
{
    const double p = fraction * 100;
    if (p == 0)
        return QStringLiteral("0 %");
    if (p < 0.01)
        return QStringLiteral("< 0.01 %");
    if (p < 1)
        return QString::number(p, 'f', 2) + QStringLiteral(" %");
    return QString::number(p, 'f', 1) + QStringLiteral(" %");
}

QString formatNs(double ns)
{
    const double a = std::abs(ns);
    if (a >= 1e9)
        return QString::number(ns / 1e9, 'f', 2) + QStringLiteral(" s");
    const auto digits = [](double x) { return std::abs(x) < 10 ? 2 : std::abs(x) < 100 ? 1 : 0; };
    if (a >= 1e6)
        return QString::number(ns / 1e6, 'f', digits(ns / 1e6)) + QStringLiteral(" ms");
    if (a >= 1e3)
        return QString::number(ns / 1e3, 'f', digits(ns / 1e3)) + QStringLiteral(" µs");
    return QString::number(std::llround(ns)) + QStringLiteral(" ns");
}

QString formatSeconds(double seconds)
{
    if (seconds < 60)
        return QString::number(seconds, 'f', 1) + QStringLiteral(" s");
    const auto total = static_cast<long long>(std::floor(seconds));
    return QStringLiteral("%1 min %2 s").arg(total / 60).arg(total % 60, 2, 10, QLatin1Char('0'));
}

QString formatInteger(std::uint64_t v)
{
    QString digits = QString::number(v);
    for (qsizetype i = digits.size() - 3; i > 0; i -= 3)
        digits.insert(i, QChar(0x2009)); // thin space
    return digits;
}

QString countOf(std::uint64_t n, const QString &one, const QString &many)
{
    return QString::number(n) + QLatin1Char(' ') + (n == 1 ? one : many);
}

QString workerCount(std::uint64_t n)
{
    return countOf(n, QStringLiteral("worker"), QStringLiteral("workers"));
}

} // namespace clab::app
