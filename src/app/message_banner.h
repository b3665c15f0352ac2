// An inline message strip above the charts (like KMessageWidget): never modal, so nothing blocks a run.
#pragma once

#include <QFrame>

class QLabel;
class QToolButton;

namespace clab::app {

class MessageBanner : public QFrame {
    Q_OBJECT
public:
    enum class Kind { Information, Positive, Warning, Error };

    explicit MessageBanner(QWidget *parent = nullptr);

    // Shows `text`; `details` (e.g. the runner's output) sits behind a "Details" button.
    void showMessage(Kind kind, const QString &text, const QString &details = QString());
    QString text() const;
    Kind kind() const { return m_kind; }
    // Re-derives the background from the window's palette (after a colour scheme change).
    void updateColors();

protected:
    void changeEvent(QEvent *event) override;

private:

    Kind m_kind = Kind::Information;
    QLabel *m_icon = nullptr;
    QLabel *m_text = nullptr;
    QToolButton *m_details = nullptr;
    QToolButton *m_close = nullptr;
    QString m_detailText;
};

} // namespace clab::app
