#include "figure_list.h"

#include <QApplication>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QKeyEvent>
#include <QMenu>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace clab::app {

namespace {

constexpr int kRowSpacing = 3;
constexpr int kFootnoteGap = 6;

QFont boldFont(const QFont &f)
{
    QFont b = f;
    b.setBold(true);
    return b;
}

QFont noteFont(const QFont &f)
{
    QFont n = f;
    n.setPointSizeF(f.pointSizeF() * 0.85);
    return n;
}

// Widths rounded up, so a text laid out in exactly the width it asked for is never elided.
int advance(const QFont &font, const QString &text)
{
    return static_cast<int>(std::ceil(QFontMetricsF(font).horizontalAdvance(text)));
}

// A note follows its value after a space; a row without a value starts with its note.
QString noteText(const FigureList::Row &r)
{
    return r.value.isEmpty() ? r.note : QLatin1Char(' ') + r.note;
}

int footnoteHeight(const QFont &font, const QString &text, int width)
{
    if (text.isEmpty())
        return 0;
    const QFontMetrics fm(noteFont(font));
    return fm.boundingRect(QRect(0, 0, std::max(width, 1), 1 << 20), Qt::TextWordWrap, text).height();
}

} // namespace

FigureList::FigureList(QWidget *parent)
    : QWidget(parent)
{
    setFocusPolicy(Qt::ClickFocus); // so Ctrl+C copies once clicked
    setContextMenuPolicy(Qt::DefaultContextMenu);
    QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
}

void FigureList::setHeading(const QString &heading)
{
    if (heading == m_heading)
        return;
    m_heading = heading;
    contentChanged();
}

void FigureList::setRows(const QList<Row> &rows)
{
    if (rows == m_rows)
        return;
    m_rows = rows;
    contentChanged();
}

void FigureList::setFootnote(const QString &footnote)
{
    if (footnote == m_footnote)
        return;
    m_footnote = footnote;
    contentChanged();
}

void FigureList::clear()
{
    m_heading.clear();
    m_rows.clear();
    m_footnote.clear();
    m_hint = QSize(); // a new run starts narrow again
    contentChanged();
}

QString FigureList::text() const
{
    QStringList lines;
    if (!m_heading.isEmpty())
        lines << m_heading;
    for (const Row &r : m_rows) {
        QString line = r.label + QStringLiteral(": ") + r.value;
        if (!r.note.isEmpty())
            line += noteText(r);
        lines << line;
    }
    if (!m_footnote.isEmpty())
        lines << m_footnote;
    return lines.join(QLatin1Char('\n'));
}

FigureList::Metrics FigureList::metrics() const
{
    Metrics m;
    const QFontMetrics fm(font());
    const QFontMetrics bold(boldFont(font()));
    for (const Row &r : m_rows)
        m.labelWidth = std::max(m.labelWidth, advance(font(), r.label));
    m.lineHeight = std::max(fm.height(), bold.height());
    m.noteLineHeight = QFontMetrics(noteFont(font())).height();
    m.gap = fm.horizontalAdvance(QStringLiteral("MM"));
    return m;
}

int FigureList::widestRow() const
{
    const Metrics m = metrics();
    const QFont bold = boldFont(font());
    const QFont note = noteFont(font());
    int widest = m_heading.isEmpty() ? 0 : advance(bold, m_heading);
    for (const Row &r : m_rows) {
        int w = m.labelWidth + m.gap + advance(bold, r.value);
        if (!r.note.isEmpty())
            w += advance(note, noteText(r));
        widest = std::max(widest, w);
    }
    return widest;
}

int FigureList::layoutHeight(int width, QList<bool> *wraps) const
{
    const Metrics m = metrics();
    const QFont bold = boldFont(font());
    const QFont note = noteFont(font());
    int h = 0;
    if (!m_heading.isEmpty())
        h += m.lineHeight + kRowSpacing;
    for (const Row &r : m_rows) {
        const int valueEnd = m.labelWidth + m.gap + advance(bold, r.value);
        const bool wrap = !r.note.isEmpty() && valueEnd + advance(note, noteText(r)) > width;
        if (wraps)
            wraps->push_back(wrap);
        h += m.lineHeight + (wrap ? m.noteLineHeight : 0) + kRowSpacing;
    }
    if (!m_footnote.isEmpty())
        h += kFootnoteGap + footnoteHeight(font(), m_footnote, width);
    return h;
}

QSize FigureList::sizeHint() const
{
    const int w = std::max(widestRow(), m_hint.width());
    return {w, layoutHeight(w)};
}

QSize FigureList::minimumSizeHint() const
{
    // Notes may move under their values; the values themselves are never cut.
    const Metrics m = metrics();
    const QFont bold = boldFont(font());
    int w = m_heading.isEmpty() ? 0 : std::min(advance(bold, m_heading), 200);
    for (const Row &r : m_rows)
        w = std::max(w, m.labelWidth + m.gap + advance(bold, r.value));
    return {w, layoutHeight(w)};
}

int FigureList::heightForWidth(int width) const
{
    return layoutHeight(width);
}

void FigureList::contentChanged()
{
    // Widths only grow during a run, so values that get a digit shorter and longer again do not
    // relayout the panel each time; the height follows what the current width needs.
    const QSize hint(std::max(widestRow(), m_hint.width()), 0);
    const int height = heightForWidth(width());
    if (hint.width() != m_hint.width() || height != m_shownHeight) {
        m_hint = hint;
        m_shownHeight = height;
        updateGeometry();
    }
    setAccessibleDescription(text());
    update();
}

void FigureList::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setPen(palette().color(QPalette::WindowText));
    const Metrics m = metrics();
    const QFont normal = font();
    const QFont bold = boldFont(normal);
    const QFont small = noteFont(normal);
    const QFontMetrics fm(normal), bfm(bold), nfm(small);
    QList<bool> wraps;
    wraps.reserve(m_rows.size());
    layoutHeight(width(), &wraps);
    int y = 0;
    if (!m_heading.isEmpty()) {
        p.setFont(bold);
        p.drawText(QRect(0, y, width(), m.lineHeight), Qt::AlignLeft | Qt::AlignVCenter,
                   bfm.elidedText(m_heading, Qt::ElideRight, width()));
        y += m.lineHeight + kRowSpacing;
    }
    const int valueX = m.labelWidth + m.gap;
    for (qsizetype i = 0; i < m_rows.size(); ++i) {
        const Row &r = m_rows[i];
        const int baseline = y + (m.lineHeight + fm.ascent() - fm.descent()) / 2;
        p.setFont(normal);
        p.drawText(QPoint(0, baseline), r.label);
        p.setFont(bold);
        p.drawText(QPoint(valueX, baseline), r.value);
        if (!r.note.isEmpty()) {
            p.setFont(small);
            if (wraps.value(i)) {
                const int noteBaseline = y + m.lineHeight + nfm.ascent();
                p.drawText(QPoint(valueX, noteBaseline), nfm.elidedText(r.note, Qt::ElideRight, width() - valueX));
            } else {
                p.drawText(QPoint(valueX + advance(bold, r.value), baseline), noteText(r));
            }
        }
        y += m.lineHeight + (wraps.value(i) ? m.noteLineHeight : 0) + kRowSpacing;
    }
    if (!m_footnote.isEmpty()) {
        y += kFootnoteGap;
        p.setFont(small);
        p.drawText(QRect(0, y, width(), height() - y), Qt::TextWordWrap | Qt::AlignLeft | Qt::AlignTop, m_footnote);
    }
}

void FigureList::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange) {
        m_hint = QSize();
        contentChanged();
    }
}

void FigureList::contextMenuEvent(QContextMenuEvent *event)
{
    QMenu menu(this);
    QAction *copy = menu.addAction(tr("&Copy figures"));
    copy->setShortcut(QKeySequence::Copy);
    copy->setEnabled(!m_rows.isEmpty() || !m_heading.isEmpty());
    if (menu.exec(event->globalPos()) == copy)
        copyToClipboard();
}

void FigureList::keyPressEvent(QKeyEvent *event)
{
    if (event->matches(QKeySequence::Copy)) {
        copyToClipboard();
        return;
    }
    QWidget::keyPressEvent(event);
}

void FigureList::copyToClipboard()
{
    QApplication::clipboard()->setText(text());
    Q_EMIT copied();
}

} // namespace clab::app
