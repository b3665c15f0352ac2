// Worker-state timeline painted by hand: rows of runs of the dominant state per pixel column.
#include "timeline_view.h"

#include <QEvent>
#include <QHelpEvent>
#include <QPaintEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <vector>

namespace clab::charts {

int StateCounts::dominant() const noexcept
{
    int best = -1;
    std::uint32_t bestN = 0;
    for (int i = 0; i < kMaxTimelineStates; ++i) {
        const std::uint32_t c = n[static_cast<std::size_t>(i)];
        if (c > 0 && c >= bestN) {
            best = i;
            bestN = c;
        }
    }
    return best;
}

std::uint64_t StateCounts::total() const noexcept
{
    std::uint64_t t = 0;
    for (std::uint32_t c : n)
        t += c;
    return t;
}

StateCounts &StateCounts::operator+=(const StateCounts &o) noexcept
{
    for (std::size_t i = 0; i < n.size(); ++i)
        n[i] += o.n[i];
    return *this;
}

QColor contrastingInk(const QColor &fill)
{
    // Relative luminance, roughly: green counts most.
    const double y = 0.2126 * double(fill.redF()) + 0.7152 * double(fill.greenF()) + 0.0722 * double(fill.blueF());
    return y > 0.5 ? QColor(0, 0, 0, 150) : QColor(255, 255, 255, 170);
}

struct TimelineView::Layout {
    QRect legend;
    QRect labels;
    QRect plot;
    QRect axis;
    int rowHeight = 0;
    int rowsShown = 0;
    int rowsTotal = 0;
};

TimelineView::TimelineView(QWidget *parent)
    : ChartPanel(parent)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMouseTracking(false);
}

TimelineView::~TimelineView() = default;

QSize TimelineView::sizeHint() const
{
    return {640, 360};
}

QSize TimelineView::minimumSizeHint() const
{
    return {240, 140};
}

void TimelineView::setStates(const QList<StateStyle> &states)
{
    m_states = states.mid(0, kMaxTimelineStates);
    invalidateRows();
    update();
}

QList<StateStyle> TimelineView::states() const
{
    return m_states;
}

void TimelineView::setSource(const TimelineSource *source)
{
    m_source = source;
    invalidateRows();
    m_sharesClock.invalidate();
    refresh();
}

void TimelineView::setTimeRange(double t0, double t1)
{
    if (!(t1 > t0))
        t1 = t0 + 1;
    m_t0 = t0;
    m_t1 = t1;
    update();
}

void TimelineView::computeShares()
{
    m_share.fill(0);
    m_hasData = false;
    if (!m_source)
        return;
    StateCounts all;
    const TimeAxis whole{m_t0, m_t1, 1};
    for (int r = 0; r < m_source->rowCount(); ++r)
        m_source->accumulate(r, whole, std::span<StateCounts>(&all, 1));
    const auto total = static_cast<double>(all.total());
    if (total <= 0)
        return;
    m_hasData = true;
    for (std::size_t i = 0; i < m_share.size(); ++i)
        m_share[i] = static_cast<double>(all.n[i]) / total;
}

void TimelineView::refresh()
{
    // The legend's percentages read the whole run: count them again only a few times a second,
    // but at once while there is no data yet (so the first samples show without delay).
    if (!m_hasData || !m_sharesClock.isValid() || m_sharesClock.elapsed() >= 250) {
        computeShares();
        m_sharesClock.start();
    }
    setPlaceholderVisible(!m_hasData);
    if (isVisible())
        update();
}

QString TimelineView::legendText(int state) const
{
    if (state < 0 || state >= m_states.size())
        return {};
    const double share = m_share[static_cast<std::size_t>(state)] * 100;
    const QString pct = share > 0 && share < 1 ? QStringLiteral("<1") : QString::number(std::lround(share));
    return m_states[state].name + QLatin1Char(' ') + pct + QStringLiteral(" %");
}

bool TimelineView::legendShows(int state) const
{
    // States that never occurred only clutter the legend; before any data, list them all.
    return !m_hasData || m_share[static_cast<std::size_t>(state)] > 0;
}

bool TimelineView::hasData() const
{
    return m_hasData;
}

void TimelineView::clear()
{
    m_share.fill(0);
    m_hasData = false;
    m_sharesClock.invalidate();
    invalidateRows();
    setPlaceholderVisible(true);
    update();
}

TimelineView::Layout TimelineView::computeLayout() const
{
    Layout l;
    const QFontMetrics fm(font());
    const int pad = 6;
    // Legend: swatch + text per state, wrapped onto as many lines as needed.
    int x = pad, lines = 1;
    for (int i = 0; i < m_states.size(); ++i) {
        if (!legendShows(i))
            continue;
        const int w = 26 + fm.horizontalAdvance(legendText(i)) + 16;
        if (x + w > width() - pad && x > pad) {
            ++lines;
            x = pad;
        }
        x += w;
    }
    const int legendH = lines * (fm.height() + 6) + 4;
    l.legend = QRect(0, 0, width(), legendH);
    const int axisH = 6 + fm.height() * 2 + 6;
    const int labelW = fm.horizontalAdvance(QStringLiteral("W0000")) + 2 * pad;
    l.labels = QRect(0, legendH, labelW, std::max(0, height() - legendH - axisH));
    l.plot = QRect(labelW, legendH, std::max(0, width() - labelW - pad - fm.horizontalAdvance(QStringLiteral("00")) / 2),
                   l.labels.height());
    l.axis = QRect(l.plot.left(), l.plot.bottom() + 1, l.plot.width(), axisH);
    l.rowsTotal = m_source ? m_source->rowCount() : 0;
    if (l.rowsTotal > 0) {
        constexpr int kMinRow = 3;
        l.rowHeight = std::clamp(l.plot.height() / l.rowsTotal, kMinRow, 40);
        l.rowsShown = std::min(l.rowsTotal, std::max(1, l.plot.height() / l.rowHeight));
    }
    return l;
}

void TimelineView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const QPalette pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    const Layout l = computeLayout();
    const QFontMetrics fm(font());
    const QColor text = pal.color(QPalette::Text);

    // Legend: the same colour-and-pattern swatch as in the rows, with the state's share.
    {
        int x = 6, y = 5;
        for (int i = 0; i < m_states.size(); ++i) {
            if (!legendShows(i))
                continue;
            const QString t = legendText(i);
            const int w = 26 + fm.horizontalAdvance(t) + 16;
            if (x + w > width() - 6 && x > 6) {
                x = 6;
                y += fm.height() + 6;
            }
            const QRect sw(x, y + (fm.height() - 14) / 2, 22, 14);
            p.fillRect(sw, m_states[i].color);
            if (m_states[i].pattern != Qt::SolidPattern && m_states[i].pattern != Qt::NoBrush)
                p.fillRect(sw, QBrush(contrastingInk(m_states[i].color), m_states[i].pattern));
            p.setPen(QPen(text, 1));
            p.drawRect(sw.adjusted(0, 0, -1, -1));
            p.drawText(QRect(x + 26, y, w - 26, fm.height()), Qt::AlignLeft | Qt::AlignVCenter, t);
            x += w;
        }
    }

    const TimeAxis axis{m_t0, m_t1, std::max(1, l.plot.width())};
    // Time axis with ticks.
    {
        p.setPen(QPen(text, 1));
        p.drawLine(l.plot.bottomLeft(), l.plot.bottomRight());
        const double step = niceCeiling((m_t1 - m_t0) / std::max(2, l.plot.width() / 90));
        const int decimals = step >= 1 ? 0 : step >= 0.1 ? 1 : 2;
        for (double t = std::ceil(m_t0 / step) * step; t <= m_t1 + step * 1e-9; t += step) {
            const int xpx = l.plot.left() + static_cast<int>(std::lround(axis.toPixel(t)));
            p.drawLine(xpx, l.plot.bottom(), xpx, l.plot.bottom() + 4);
            const QString label = QString::number(t, 'f', decimals);
            const int lw = fm.horizontalAdvance(label);
            p.drawText(QRect(xpx - lw / 2 - 2, l.plot.bottom() + 5, lw + 4, fm.height()), Qt::AlignCenter, label);
        }
        p.drawText(QRect(l.axis.left(), l.plot.bottom() + 5 + fm.height(), l.axis.width(), fm.height()),
                   Qt::AlignCenter, tr("Time since start (s)"));
    }

    if (!m_source || l.rowsShown == 0)
        return;

    updateRows(l, axis);
    const int plotW = std::max(1, l.plot.width());
    const int h = std::max(1, l.rowHeight - (l.rowHeight >= 6 ? 2 : 0)); // a gap between rows when there is room
    const bool labelsInRuns = l.rowHeight >= fm.height() + 2;
    const int labelEvery = std::max(1, (fm.height() + 2 + l.rowHeight - 1) / l.rowHeight);
    struct Label {
        QRect rect;
        int state;
    };
    std::vector<Label> labels;
    for (int r = 0; r < l.rowsShown; ++r) {
        const int y = r * l.rowHeight;
        if (r % labelEvery == 0) {
            p.setPen(text);
            p.drawText(QRect(l.labels.left(), l.plot.top() + y, l.labels.width() - 6, std::max(l.rowHeight, fm.height())),
                       Qt::AlignRight | Qt::AlignVCenter, m_source->rowLabel(r));
        }
        if (!labelsInRuns)
            continue;
        const std::int8_t *dominant = m_dominant.data() + static_cast<std::ptrdiff_t>(r) * plotW;
        int start = 0;
        for (int x = 1; x <= plotW; ++x) {
            if (x < plotW && dominant[x] == dominant[start])
                continue;
            const int st = dominant[start];
            if (st >= 0 && fm.horizontalAdvance(m_states[st].name) + 10 < x - start)
                labels.push_back({QRect(l.plot.left() + start, l.plot.top() + y, x - start, h), st});
            start = x;
        }
    }
    p.drawImage(l.plot.topLeft(), m_rows);
    for (const Label &lab : labels) {
        // The label sits on a small plate so the pattern does not garble it.
        const StateStyle &st = m_states[lab.state];
        const int tw = fm.horizontalAdvance(st.name);
        const QRect plate(lab.rect.center().x() - tw / 2 - 3, lab.rect.center().y() - fm.height() / 2, tw + 6, fm.height());
        p.fillRect(plate, st.color);
        p.setPen(contrastingInk(st.color).alpha() > 160 ? Qt::white : Qt::black);
        p.drawText(plate, Qt::AlignCenter, st.name);
    }
    if (l.rowsShown < l.rowsTotal) {
        p.setPen(text);
        p.drawText(QRect(l.plot.left(), l.plot.bottom() - fm.height() - 2, l.plot.width() - 4, fm.height()),
                   Qt::AlignRight | Qt::AlignVCenter,
                   tr("first %1 of %2 workers shown (enlarge the window for more)").arg(l.rowsShown).arg(l.rowsTotal));
    }
}

void TimelineView::updateRows(const Layout &l, const TimeAxis &axis)
{
    // Rows are rendered pixel by pixel into one image and drawn at once: with many workers and
    // short state runs, tens of thousands of pattern-brush rectangles would cost far more. The
    // image is kept: a paint computes again only the columns from the end of the data drawn
    // last time, so a frame costs what the newest samples cover, not the whole run.
    const int plotW = std::max(1, l.plot.width());
    const int imageH = l.rowsShown * l.rowHeight;
    const QRgb base = palette().color(QPalette::Base).rgba();
    const RowsKey key{plotW, l.rowsShown, l.rowHeight, m_t0, m_t1, base, m_generation};
    const bool whole = !(key == m_rowsKey) || m_rows.isNull();
    if (whole) {
        if (m_rows.size() != QSize(plotW, imageH) || m_rows.isNull())
            m_rows = QImage(plotW, imageH, QImage::Format_ARGB32_Premultiplied);
        m_rows.fill(base);
        m_dominant.assign(static_cast<std::size_t>(plotW) * static_cast<std::size_t>(l.rowsShown), -1);
        m_rowMarks.assign(static_cast<std::size_t>(l.rowsShown), RowMark{});
        m_rowsKey = key;
    }
    std::array<QRgb, kMaxTimelineStates> fill{}, ink{};
    for (int i = 0; i < m_states.size() && i < kMaxTimelineStates; ++i) {
        fill[static_cast<std::size_t>(i)] = m_states[i].color.rgba();
        // The pattern's ink blended over the colour, precomputed (no per-pixel alpha blending).
        const QColor c = m_states[i].color;
        const QColor k = contrastingInk(c);
        const double a = k.alphaF();
        ink[static_cast<std::size_t>(i)] = qRgb(static_cast<int>(c.red() * (1 - a) + k.red() * a),
                                                static_cast<int>(c.green() * (1 - a) + k.green() * a),
                                                static_cast<int>(c.blue() * (1 - a) + k.blue() * a));
    }
    // Patterns as functions of the pixel, one per state, in the spirit of Qt's brush patterns.
    const auto inked = [this](int state, int x, int y) {
        switch (m_states[state].pattern) {
        case Qt::BDiagPattern: return (x + y) % 6 == 0;
        case Qt::FDiagPattern: return (x - y + 6000) % 6 == 0;
        case Qt::CrossPattern: return x % 6 == 0 || y % 6 == 0;
        case Qt::DiagCrossPattern: return (x + y) % 6 == 0 || (x - y + 6000) % 6 == 0;
        case Qt::HorPattern: return y % 4 == 0;
        case Qt::VerPattern: return x % 4 == 0;
        case Qt::Dense4Pattern: return (x + y) % 2 == 0;
        case Qt::Dense6Pattern: return x % 3 == 0 && y % 3 == 0;
        default: return false;
        }
    };
    std::vector<StateCounts> &columns = m_scratchCounts; // kept: no allocation per paint
    std::vector<int> &changed = m_scratchChanged;
    columns.resize(static_cast<std::size_t>(plotW));
    changed.reserve(columns.size());
    const int h = std::max(1, l.rowHeight - (l.rowHeight >= 6 ? 2 : 0));
    m_columnsRedrawn = 0;
    for (int r = 0; r < l.rowsShown; ++r) {
        RowMark &mark = m_rowMarks[static_cast<std::size_t>(r)];
        const std::optional<TimelineSource::Tail> tail = m_source->tail(r);
        // From where the source said, at the last paint, this row could still change; the
        // whole row when it cannot say or its past was rewritten since.
        const int first = whole || !tail || tail->generation != mark.generation ? 0 : std::clamp(mark.from, 0, plotW - 1);
        TimeAxis window = axis;
        window.firstColumn = first;
        const std::span<StateCounts> part(columns.data(), static_cast<std::size_t>(plotW - first));
        std::fill(part.begin(), part.end(), StateCounts{});
        m_source->accumulate(r, window, part);
        m_columnsRedrawn = std::max(m_columnsRedrawn, plotW - first);
        std::int8_t *dominant = m_dominant.data() + static_cast<std::ptrdiff_t>(r) * plotW;
        changed.clear();
        for (int x = first; x < plotW; ++x) {
            int st = part[static_cast<std::size_t>(x - first)].dominant();
            st = st < m_states.size() ? st : -1;
            if (dominant[x] != st) {
                dominant[x] = static_cast<std::int8_t>(st);
                changed.push_back(x);
            }
        }
        const int y = r * l.rowHeight;
        for (int yy = 0; yy < h; ++yy) {
            auto *line = reinterpret_cast<QRgb *>(m_rows.scanLine(y + yy));
            for (const int x : changed) {
                const int st = dominant[x];
                line[x] = st < 0 ? base : inked(st, x, yy) ? ink[static_cast<std::size_t>(st)] : fill[static_cast<std::size_t>(st)];
            }
        }
        if (tail) {
            // The newest slot's first column may still change (its slot reaches into it).
            mark.from = axis.column(tail->unsettledFrom);
            mark.generation = tail->generation;
        }
    }
}

bool TimelineView::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip && m_source) {
        auto *help = static_cast<QHelpEvent *>(event);
        const Layout l = computeLayout();
        const QPoint pos = help->pos();
        if (l.rowsShown > 0 && l.plot.contains(pos)) {
            const int row = (pos.y() - l.plot.top()) / l.rowHeight;
            if (row < l.rowsShown) {
                const TimeAxis axis{m_t0, m_t1, std::max(1, l.plot.width())};
                const int col = pos.x() - l.plot.left();
                std::vector<StateCounts> columns(static_cast<std::size_t>(axis.pixels));
                m_source->accumulate(row, axis, columns);
                // Widen to ±2 px so a tip does not need pixel-exact aim.
                StateCounts c;
                for (int k = std::max(0, col - 2); k <= std::min(axis.pixels - 1, col + 2); ++k)
                    c += columns[static_cast<std::size_t>(k)];
                QString tip = m_source->rowLabel(row) + QStringLiteral(" at ")
                    + QString::number(axis.toTime(col + 0.5), 'f', 2) + QStringLiteral(" s");
                const auto total = static_cast<double>(c.total());
                for (int i = 0; i < m_states.size() && total > 0; ++i) {
                    if (c.n[static_cast<std::size_t>(i)] > 0)
                        tip += QStringLiteral("\n") + m_states[i].name + QStringLiteral(": ")
                            + QString::number(std::lround(100.0 * c.n[static_cast<std::size_t>(i)] / total)) + QStringLiteral(" %");
                }
                QToolTip::showText(help->globalPos(), tip, this);
                return true;
            }
        }
        QToolTip::hideText();
        event->ignore();
        return true;
    }
    return ChartPanel::event(event);
}

} // namespace clab::charts
