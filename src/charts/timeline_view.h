// A timeline of worker states: one row per worker, each state drawn with its own colour AND pattern.
#pragma once

#include "chart_panel.h"
#include "plot_data.h"

#include <QColor>
#include <QElapsedTimer>
#include <QImage>
#include <QList>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

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
    // Adds the state counts of `row` falling into each pixel column of `axis` to
    // columns[column - axis.firstColumn], for the columns the span covers.
    virtual void accumulate(int row, const TimeAxis &axis, std::span<StateCounts> columns) const = 0;
    // Lets a view redraw only what changed: data of `row` before `unsettledFrom` stays as it is
    // while `generation` stays the same (samples are added at the end). A source that cannot
    // tell returns nothing, and views redraw the row whole every time.
    struct Tail {
        double unsettledFrom = 0;
        std::uint64_t generation = 0;
    };
    virtual std::optional<Tail> tail(int row) const
    {
        Q_UNUSED(row);
        return std::nullopt;
    }
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
    // Marks the data changed: repaints (cheaply: only when visible). The picture is kept between
    // paints: a paint redraws a row only from where its source says it may have changed (see
    // TimelineSource::tail()), so a frame costs what the newest samples cover, not the whole run.
    void refresh();
    // Pixel columns the last paint computed again, in the row that needed the most (the whole
    // width after a change of size, range, states or source; tests and benchmarks read it).
    int columnsRedrawn() const { return m_columnsRedrawn; }
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
    void invalidateRows() { ++m_generation; }
    // Brings m_rows up to date for layout l, redrawing only what may have changed.
    void updateRows(const Layout &l, const TimeAxis &axis);

    QList<StateStyle> m_states;
    const TimelineSource *m_source = nullptr;
    double m_t0 = 0;
    double m_t1 = 1;
    std::array<double, kMaxTimelineStates> m_share{};
    bool m_hasData = false;
    QElapsedTimer m_sharesClock; // the legend's shares are counted again four times a second

    // The picture of the rows, kept between paints: valid for m_rowsKey.
    struct RowsKey {
        int width = 0, rows = 0, rowHeight = 0;
        double t0 = 0, t1 = 0;
        QRgb base = 0;
        std::uint64_t generation = 0;
        bool operator==(const RowsKey &) const = default;
    };
    QImage m_rows;
    RowsKey m_rowsKey;
    std::uint64_t m_generation = 1;
    std::vector<std::int8_t> m_dominant; // rows × width: the state drawn in each column, -1: none
    struct RowMark {
        int from = 0; // the first column the next paint must compute again
        std::uint64_t generation = 0;
    };
    std::vector<RowMark> m_rowMarks;
    int m_columnsRedrawn = 0;
    std::vector<StateCounts> m_scratchCounts; // a row's columns, reused by every paint
    std::vector<int> m_scratchChanged;
};

// Ink for patterns and labels drawn on `fill`: black on light colours, white on dark ones.
QColor contrastingInk(const QColor &fill);

} // namespace clab::charts
