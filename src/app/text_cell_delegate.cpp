#include "text_cell_delegate.h"

#include <QApplication>
#include <QPainter>

namespace clab::app {

void TextCellDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QWidget *widget = opt.widget;
    const QStyle *style = widget ? widget->style() : QApplication::style();
    const QString text = opt.text;
    opt.text.clear(); // the style draws everything but the text
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);
    if (text.isEmpty())
        return;

    const int margin = style->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, widget) + 1;
    const QRect r = opt.rect.adjusted(margin, 0, -margin, 0);
    const QFontMetrics &fm = opt.fontMetrics;
    QString shown = text;
    int advance = fm.horizontalAdvance(text);
    if (advance > r.width()) {
        shown = fm.elidedText(text, opt.textElideMode, r.width());
        advance = fm.horizontalAdvance(shown);
    }
    const Qt::Alignment h = QStyle::visualAlignment(opt.direction, opt.displayAlignment) & Qt::AlignHorizontal_Mask;
    const int x = h & Qt::AlignRight ? r.right() + 1 - advance : h & Qt::AlignHCenter ? r.left() + (r.width() - advance) / 2 : r.left();
    const int y = r.top() + (r.height() + fm.ascent() - fm.descent()) / 2;
    const QPalette::ColorGroup group = !(opt.state & QStyle::State_Enabled) ? QPalette::Disabled
                                       : opt.state & QStyle::State_Active     ? QPalette::Active
                                                                               : QPalette::Inactive;
    painter->save();
    painter->setFont(opt.font);
    painter->setPen(opt.palette.color(group, opt.state & QStyle::State_Selected ? QPalette::HighlightedText : QPalette::Text));
    painter->drawText(QPoint(x, y), shown);
    painter->restore();
}

} // namespace clab::app
