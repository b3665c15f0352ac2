// Palette-driven chart colours (Qt Charts' built-in themes ignore the application palette).
#include "chart_theme.h"

#include <QAbstractAxis>
#include <QChart>
#include <QLegend>

namespace clab::charts {

QColor gridColor(const QPalette &pal)
{
    const QColor base = pal.color(QPalette::Base);
    const QColor text = pal.color(QPalette::Text);
    const auto mix = [](int a, int b) { return (a * 4 + b) / 5; };
    return QColor(mix(base.red(), text.red()), mix(base.green(), text.green()), mix(base.blue(), text.blue()));
}

void applyChartTheme(QChart *chart, const QPalette &pal)
{
    const QColor text = pal.color(QPalette::Text);
    chart->setBackgroundBrush(pal.color(QPalette::Base));
    chart->setBackgroundPen(Qt::NoPen);
    chart->setBackgroundRoundness(0);
    chart->setPlotAreaBackgroundVisible(false);
    chart->setTitleBrush(text);
    chart->legend()->setLabelColor(text);
    const QColor grid = gridColor(pal);
    QColor minor = grid;
    minor.setAlpha(110);
    const auto axes = chart->axes();
    for (QAbstractAxis *axis : axes) {
        axis->setLabelsColor(text);
        axis->setTitleBrush(text);
        axis->setLinePenColor(grid.darker(pal.color(QPalette::Base).lightness() > 128 ? 130 : 70));
        axis->setGridLineColor(grid);
        axis->setMinorGridLineColor(minor);
    }
}

} // namespace clab::charts
