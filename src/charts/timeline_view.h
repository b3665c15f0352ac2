// A timeline of worker states: one row per worker, each state drawn with its own colour AND pattern.
#pragma once

#include "chart_panel.h"
#include "plot_data.h"

#include <QColor>
#include <QImage>
#include <QList>

#include <array>
#include <cstdint>
#include <span>

namespace clab::charts {

inline constexpr int kMaxTimelineStates = 8;

// How many samples of a row fell in each state within one time slot.
struct StateCounts {
    std::array<std::uint32_t, kMaxTimelineStates> n{};
    // Index of the most frequent state, -1 when empty. Ties go to the higher index (the rarer,
    // more telling states such as "failed" are listed last).
    int dominant() const noexcept;
    std::uint64_t total() const noexcept;
    StateCounts &operator+=(const StateCounts &o) noexcept;
};

struct StateStyle {
    QString name;
    QColor color;
    Qt::BrushStyle pattern = Qt::SolidPattern; // drawn over the colour in a contrasting ink
};

// Where the timeline reads its rows from (the app's live store). Called while painting.
class TimelineSource {
public:
    virtual ~TimelineSource() = default;
    virtual int rowCount() const = 0;
    virtual QString rowLabel(int row) const = 0;
    // Adds the state counts of `row` falling into each pixel column of `axis` to columns[column].
    virtual void accumulate(int row, const TimeAxis &axis, std::span<StateCounts> columns) const = 0;
};

class TimelineView : public ChartPanel {
    Q_OBJECT
public:
    explicit TimelineView(QWidget *parent = nullptr);
    ~TimelineView() override;

    void setStates(const QList<StateStyle> &states);
    QList<StateStyle> states() const;
    // The source must outlive the view or be reset with setSource(nullptr).
    void setSource(const TimelineSource *source);
    void setTimeRange(double t0, double t1);
    // Marks the data changed: repaints (cheaply: only when visible).
    void refresh();
    // The legend's text for state i, e.g. "waiting 42 %" (share of all samples shown). The legend
    // lists the states that occurred.
    QString legendText(int state) const;

    bool hasData() const override;
    void clear() override;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;
    bool event(QEvent *event) override;

private:
    struct Layout;
    Layout computeLayout() const;
    bool legendShows(int state) const;
    void computeShares();

    QList<StateStyle> m_states;
    const TimelineSource *m_source = nullptr;
    double m_t0 = 0;
    double m_t1 = 1;
    std::array<double, kMaxTimelineStates> m_share{};
    QImage m_rows; // reused between paints
    bool m_hasData = false;
};

// Ink for patterns and labels drawn on `fill`: black on light colours, white on dark ones.
QColor contrastingInk(const QColor &fill);

} // namespace clab::charts
