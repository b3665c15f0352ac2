// Colours of a Qt Charts chart taken from the widget palette, so light and dark schemes both read well.
#pragma once

#include <QPalette>

QT_BEGIN_NAMESPACE
class QChart;
QT_END_NAMESPACE

namespace clab::charts {

// Background, axis labels and titles, grid lines and legend text from `pal` (internal to clab_charts).
void applyChartTheme(QChart *chart, const QPalette &pal);

// A grid colour halfway between the base colour and the text colour, faint enough not to compete with data.
QColor gridColor(const QPalette &pal);

} // namespace clab::charts
