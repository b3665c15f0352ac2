// The sweep's points table: formatted like the worker table, raw numbers under SortRole.
#include "sweep_table_model.h"

#include "format.h"

#include <QBrush>
#include <QColor>

#include <cmath>

namespace clab::app {

SweepTableModel::SweepTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void SweepTableModel::setSummary(const SweepSummary &summary)
{
    beginResetModel(); // a new sweep: a different set of rows and headers
    m_summary = summary;
    endResetModel();
    Q_EMIT headerDataChanged(Qt::Horizontal, 0, ColumnCount - 1);
}

void SweepTableModel::clear()
{
    setSummary({});
}

bool SweepTableModel::columnApplies(int column) const
{
    switch (column) {
    case BytesColumn: return m_summary.headline == SweepHeadline::Streaming;
    case SpeedUpColumn: return !m_summary.baseline.isEmpty();
    default: return column >= 0 && column < ColumnCount;
    }
}

int SweepTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_summary.points.size());
}

int SweepTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SweepTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    const bool roundTrip = m_summary.headline == SweepHeadline::RoundTrip;
    if (role == Qt::DisplayRole) {
        switch (section) {
        case PointColumn: return tr("#");
        case SeriesColumn: return tr("Series");
        case XColumn: return m_summary.xTitle.isEmpty() ? tr("Value") : m_summary.xTitle;
        case ThroughputColumn: return tr("ops/s");
        case BytesColumn: return tr("Payload/s");
        case P50Column: return roundTrip ? tr("Round trip p50") : tr("Wait p50");
        case P99Column: return roundTrip ? tr("Round trip p99") : tr("Wait p99");
        case SpeedUpColumn: return tr("Speed-up");
        case StatusColumn: return tr("Status");
        default: break;
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case ThroughputColumn: return tr("Operations per second, all workers together, over the point's wall time");
        case BytesColumn: return tr("Payload bytes received per second, all pairs");
        case P50Column:
        case P99Column:
            return roundTrip ? tr("Round-trip time of a message and its answer (the family's own figure)")
                             : tr("Time to acquire the primitive (timed acquisitions only)");
        case SpeedUpColumn:
            return tr("ops/s relative to the first variant (%1) at the same sweep values").arg(m_summary.baseline);
        default: break;
        }
    }
    return {};
}

QVariant SweepTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const SweepPointFigures &p = m_summary.points[static_cast<std::size_t>(index.row())];
    const auto num = [](double v) { return std::isfinite(v) ? QVariant(v) : QVariant(std::nan("")); };
    if (role == SortRole) {
        switch (index.column()) {
        case PointColumn: return p.point + 1;
        case SeriesColumn: return m_summary.series.value(p.series);
        case XColumn: return p.x;
        case ThroughputColumn: return p.opsPerSecond;
        case BytesColumn: return p.bytesPerSecond;
        case P50Column: return num(p.p50Ns);
        case P99Column: return num(p.p99Ns);
        case SpeedUpColumn: return num(p.speedUp);
        case StatusColumn: return p.status;
        default: return {};
        }
    }
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case PointColumn: return QString::number(p.point + 1);
        case SeriesColumn: return m_summary.series.value(p.series);
        case XColumn: return p.xText;
        case ThroughputColumn: return formatCount(p.opsPerSecond);
        case BytesColumn: return std::isfinite(p.bytesPerSecond) ? formatCount(p.bytesPerSecond) + QStringLiteral("B/s") : QString();
        case P50Column: return std::isfinite(p.p50Ns) ? formatNs(p.p50Ns) : QStringLiteral("–");
        case P99Column: return std::isfinite(p.p99Ns) ? formatNs(p.p99Ns) : QStringLiteral("–");
        case SpeedUpColumn: return std::isfinite(p.speedUp) ? QString::number(p.speedUp, 'f', 2) + QStringLiteral("×") : QStringLiteral("–");
        case StatusColumn: return p.status;
        default: return {};
        }
    }
    if (role == Qt::TextAlignmentRole) {
        const int c = index.column();
        return c == SeriesColumn || c == StatusColumn ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                                      : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    }
    if (role == Qt::ToolTipRole)
        return p.error.isEmpty() ? p.label : p.label + QLatin1Char('\n') + p.error;
    if (role == Qt::ForegroundRole && index.column() == StatusColumn && p.status == QLatin1String("failed"))
        return QBrush(QColor(0xC6, 0x28, 0x28));
    return {};
}

} // namespace clab::app
