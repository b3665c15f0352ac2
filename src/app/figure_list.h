// A panel of labelled figures ("Throughput  1.96 M ops/s  of worker time"), drawn directly.
//
// Live figures change several times a second. In a rich-text QLabel every change parses HTML,
// lays the document out at several widths for the size hints and relayouts the panel: with 64
// workers that was about 40 % of the GUI thread (perf, bench_gui_frame). Here a change of values
// costs one repaint; geometry is only requested again when the figures need a different height
// or more width than they have.
#pragma once

#include <QList>
#include <QString>
#include <QWidget>

namespace clab::app {

class FigureList : public QWidget {
    Q_OBJECT
public:
    struct Row {
        QString label; // "Throughput"
        QString value; // "1.96 M ops/s" (drawn in bold)
        QString note;  // "of worker time" (small; moves under the value when the row is too narrow)
        friend bool operator==(const Row &, const Row &) = default;
    };

    explicit FigureList(QWidget *parent = nullptr);

    void setHeading(const QString &heading);
    void setRows(const QList<Row> &rows);
    void setFootnote(const QString &footnote);
    void clear();

    QString heading() const { return m_heading; }
    const QList<Row> &rows() const { return m_rows; }
    QString footnote() const { return m_footnote; }
    // Everything shown, as plain text: one line per row ("label: value note"). What Copy copies.
    QString text() const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;

Q_SIGNALS:
    void copied();

protected:
    void paintEvent(QPaintEvent *event) override;
    void changeEvent(QEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;

private:
    struct Metrics {
        int labelWidth = 0; // widest label
        int lineHeight = 0;
        int noteLineHeight = 0;
        int gap = 0;
    };
    Metrics metrics() const;
    // Height of everything at `width`; with `wraps`, which rows put their note on a line of its own.
    int layoutHeight(int width, QList<bool> *wraps = nullptr) const;
    int widestRow() const;
    void contentChanged();
    void copyToClipboard();

    QString m_heading;
    QList<Row> m_rows;
    QString m_footnote;
    QSize m_hint;       // the size hint last handed to the layout
    int m_shownHeight = -1; // heightForWidth(width()) when last laid out
};

} // namespace clab::app
