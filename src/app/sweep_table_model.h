// The points of a finished sweep as a table: the same numbers the scaling chart draws, one row per point.
#pragma once

#include "sweep_summary.h"

#include <QAbstractTableModel>

namespace clab::app {

class SweepTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        PointColumn,     // 1-based number in the order the points ran
        SeriesColumn,    // the variant and the other sweep values
        XColumn,         // the value of the swept parameter
        ThroughputColumn,
        BytesColumn,     // payload throughput (streaming)
        P50Column,       // round trip (ping-pong) or acquisition wait
        P99Column,
        SpeedUpColumn,   // ops/s over the first variant's at the same sweep values
        StatusColumn,
        ColumnCount
    };
    // Raw numbers for sorting and tests (Qt::DisplayRole is formatted text); NaN when none.
    static constexpr int SortRole = Qt::UserRole + 1;

    explicit SweepTableModel(QObject *parent = nullptr);

    void setSummary(const SweepSummary &summary);
    void clear();
    const SweepSummary &summary() const { return m_summary; }
    // Whether a column says something for this sweep (e.g. bytes/s only for streaming).
    bool columnApplies(int column) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    SweepSummary m_summary;
};

} // namespace clab::app
