// The live figures panel and the table's text cells: what they show, and that a change of values
// costs a repaint, not a relayout of the window.
#include "figure_list.h"
#include "text_cell_delegate.h"

#include <QApplication>
#include <QClipboard>
#include <QImage>
#include <QStandardItemModel>
#include <QTableView>
#include <QTest>
#include <QVBoxLayout>

using namespace clab::app;

namespace {

// Counts the layout requests a widget's parent receives (each one relayouts the panel).
class LayoutRequests : public QObject {
public:
    explicit LayoutRequests(QWidget *w) { w->installEventFilter(this); }
    int count = 0;

protected:
    bool eventFilter(QObject *, QEvent *e) override
    {
        if (e->type() == QEvent::LayoutRequest)
            ++count;
        return false;
    }
};

QList<FigureList::Row> figures(const QString &throughput, const QString &note = QStringLiteral("of worker time"))
{
    return {{QStringLiteral("Throughput"), throughput, QString()},
            {QStringLiteral("Waiting"), QStringLiteral("25.7 %"), note},
            {QStringLiteral("Fairness"), QStringLiteral("0.995"), QStringLiteral("(Jain; 1 = equal shares)")}};
}

// Pixels that differ from the widget's background colour inside `r`.
int inkIn(const QImage &img, const QRect &r, QRgb background)
{
    int n = 0;
    for (int y = r.top(); y <= r.bottom(); ++y)
        for (int x = r.left(); x <= r.right(); ++x)
            n += img.pixel(x, y) != background;
    return n;
}

} // namespace

class TestFigureList : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void textListsEveryFigure();
    void valuesChangingDoNotRelayout();
    void notesMoveUnderTheirValuesWhenNarrow();
    void copyPutsTheFiguresOnTheClipboard();
    void paintsEveryRow();
    void delegateDrawsTextAlignedAndElided();
};

void TestFigureList::textListsEveryFigure()
{
    FigureList f;
    f.setHeading(QStringLiteral("Time to acquire the guard"));
    f.setRows(figures(QStringLiteral("1.96 M ops/s")));
    f.setFootnote(QStringLiteral("All workers together."));
    QCOMPARE(f.text(), QStringLiteral("Time to acquire the guard\nThroughput: 1.96 M ops/s\nWaiting: 25.7 % of worker time\n"
                                      "Fairness: 0.995 (Jain; 1 = equal shares)\nAll workers together."));
    QCOMPARE(f.accessibleDescription(), f.text());
    f.clear();
    QVERIFY(f.text().isEmpty());
    QVERIFY(f.rows().isEmpty());
}

void TestFigureList::valuesChangingDoNotRelayout()
{
    QWidget panel;
    auto *layout = new QVBoxLayout(&panel);
    auto *f = new FigureList;
    layout->addWidget(f);
    layout->addStretch(1);
    f->setRows(figures(QStringLiteral("1.96 M ops/s")));
    panel.resize(400, 300);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QCoreApplication::processEvents();
    LayoutRequests requests(&panel);

    // Same structure, values of the same or smaller width: a repaint only.
    f->setRows(figures(QStringLiteral("1.97 M ops/s")));
    f->setRows(figures(QStringLiteral("1.9 M ops/s")));
    f->setRows(figures(QStringLiteral("1.98 M ops/s")));
    QCoreApplication::processEvents();
    QCOMPARE(requests.count, 0);
    QCOMPARE(f->rows().first().value, QStringLiteral("1.98 M ops/s"));

    // A row more needs more height: the panel is laid out again.
    QList<FigureList::Row> more = figures(QStringLiteral("1.98 M ops/s"));
    more.append({QStringLiteral("Lost updates"), QStringLiteral("0"), QStringLiteral("of 4 595 071")});
    const int before = f->heightForWidth(f->width());
    f->setRows(more);
    QCoreApplication::processEvents();
    QVERIFY(requests.count >= 1);
    QVERIFY(f->heightForWidth(f->width()) > before);
    QTRY_COMPARE(f->height(), f->heightForWidth(f->width()));

    // A wider value asks for more width once; narrower ones afterwards do not take it back.
    requests.count = 0;
    more.first().value = QString(60, QLatin1Char('9')) + QStringLiteral(" ops/s"); // wider than any row with its note
    f->setRows(more);
    QCoreApplication::processEvents();
    QCOMPARE(requests.count, 1);
    const int wide = f->sizeHint().width();
    more.first().value = QStringLiteral("1 M ops/s");
    f->setRows(more);
    QCoreApplication::processEvents();
    QCOMPARE(requests.count, 1);
    QCOMPARE(f->sizeHint().width(), wide);
}

void TestFigureList::notesMoveUnderTheirValuesWhenNarrow()
{
    FigureList f;
    f.setRows(figures(QStringLiteral("1.96 M ops/s")));
    const QSize hint = f.sizeHint();
    QCOMPARE(f.heightForWidth(hint.width()), hint.height());
    const int narrow = f.minimumSizeHint().width();
    QVERIFY(narrow < hint.width());
    // Two rows have notes: both move to a line of their own.
    QVERIFY(f.heightForWidth(narrow) > hint.height());
    QFont note = f.font();
    note.setPointSizeF(note.pointSizeF() * 0.85);
    QCOMPARE(f.heightForWidth(narrow) - hint.height(), 2 * QFontMetrics(note).height());
    // A footnote wraps: narrower is taller.
    f.setFootnote(QStringLiteral("All workers together. Percentiles are within 1.6 % of the true value."));
    QVERIFY(f.heightForWidth(narrow) > f.heightForWidth(1000));
}

void TestFigureList::copyPutsTheFiguresOnTheClipboard()
{
    FigureList f;
    f.setRows(figures(QStringLiteral("1.96 M ops/s")));
    QApplication::clipboard()->clear();
    f.show();
    QVERIFY(QTest::qWaitForWindowExposed(&f));
    f.setFocus();
    QTest::keySequence(&f, QKeySequence::Copy);
    QCOMPARE(QApplication::clipboard()->text(), f.text());
}

void TestFigureList::paintsEveryRow()
{
    FigureList f;
    f.setRows(figures(QStringLiteral("1.96 M ops/s")));
    f.resize(f.sizeHint());
    const QImage img = f.grab().toImage();
    const QRgb bg = f.palette().color(QPalette::Window).rgb();
    const int rowH = f.sizeHint().height() / 3;
    for (int row = 0; row < 3; ++row) {
        const QRect r(0, row * rowH, img.width(), rowH);
        QVERIFY2(inkIn(img, r, bg) > 20, qPrintable(QStringLiteral("row %1 is blank").arg(row)));
    }
    // Nothing below the last row.
    f.resize(f.width(), f.sizeHint().height() + 40);
    const QImage taller = f.grab().toImage();
    QCOMPARE(inkIn(taller, QRect(0, f.sizeHint().height() + 2, taller.width(), 36), bg), 0);
}

void TestFigureList::delegateDrawsTextAlignedAndElided()
{
    QStandardItemModel model(2, 2);
    model.setItem(0, 0, new QStandardItem(QStringLiteral("W0")));
    auto *right = new QStandardItem(QStringLiteral("1 234"));
    right->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    model.setItem(0, 1, right);
    model.setItem(1, 0, new QStandardItem(QStringLiteral("a very long state name that cannot fit")));
    QTableView view;
    view.setItemDelegate(new TextCellDelegate(&view));
    view.setModel(&model);
    view.setColumnWidth(0, 80);
    view.setColumnWidth(1, 120);
    view.resize(260, 120);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    const QImage img = view.viewport()->grab().toImage();
    const QRect left = view.visualRect(model.index(0, 0));
    const QRect num = view.visualRect(model.index(0, 1));
    const QRgb bg = img.pixel(num.center().x(), num.bottom() - 1);
    // Left-aligned text sits in the left half of its cell, right-aligned in the right half.
    QVERIFY(inkIn(img, QRect(left.left(), left.top() + 2, left.width() / 2, left.height() - 4), bg) > 10);
    QVERIFY(inkIn(img, QRect(num.left(), num.top() + 2, num.width() / 2, num.height() - 4), bg) == 0);
    QVERIFY(inkIn(img, QRect(num.center().x(), num.top() + 2, num.width() / 2, num.height() - 4), bg) > 10);
    // Text that does not fit is elided inside its cell: nothing is drawn over the next column.
    const QRect longCell = view.visualRect(model.index(1, 0));
    const QRect next = view.visualRect(model.index(1, 1));
    QVERIFY(inkIn(img, longCell.adjusted(2, 2, -2, -2), bg) > 10);
    QCOMPARE(inkIn(img, next.adjusted(2, 2, -2, -2), bg), 0);
}

QTEST_MAIN(TestFigureList)
#include "tst_figure_list.moc"
