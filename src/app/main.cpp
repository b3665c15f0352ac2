// concurrency-lab: the desktop app. Everything lives in clab_widgets; this only sets up the application.
#include "app_theme.h"
#include "main_window.h"
#include "preset_model.h"
#include "run_dashboard.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QSettings>
#include <QTimer>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("ConcurrencyLab"));
    QApplication::setApplicationName(QStringLiteral("concurrency-lab"));
    QApplication::setApplicationDisplayName(QStringLiteral("Concurrency Lab"));
    QApplication::setApplicationVersion(QStringLiteral(CLAB_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("concurrency-lab"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/concurrency-lab.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("A laboratory for concurrency primitives: run experiments on this "
                                                    "machine's threads, processes and locks and watch them live."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption runOption(QStringLiteral("run"), QStringLiteral("Start the experiment right away."));
    const QCommandLineOption presetOption(QStringLiteral("preset"), QStringLiteral("Load the preset NAME (file name without .cclab)."),
                                          QStringLiteral("NAME"));
    const QCommandLineOption schemeOption(QStringLiteral("colors"), QStringLiteral("Colour scheme: system, light or dark."),
                                          QStringLiteral("SCHEME"));
    const QCommandLineOption pageOption(QStringLiteral("page"),
                                        QStringLiteral("Chart page to show: throughput, contention, latency, state, timeline or scaling "
                                                       "(a sweep's points compared)."),
                                        QStringLiteral("PAGE"));
    parser.addOptions({runOption, presetOption, schemeOption, pageOption});
    parser.addPositionalArgument(QStringLiteral("file"), QStringLiteral("An experiment (.cclab) or a result file (.json) to open."),
                                 QStringLiteral("[file]"));
    parser.process(app);

    clab::app::applyColorScheme(clab::app::colorSchemeFromString(
        parser.isSet(schemeOption) ? parser.value(schemeOption) : QSettings().value(QStringLiteral("view/colorScheme")).toString()));
    clab::app::quitOnTerminationSignals();

    clab::app::MainWindow window;
    window.show();
    bool ok = true;
    if (parser.isSet(presetOption)) {
        const auto *preset = window.presetModel()->preset(window.presetModel()->indexOfId(parser.value(presetOption)));
        ok = preset && preset->spec;
        if (ok)
            window.loadSpec(*preset->spec, preset->path);
        else
            qWarning("concurrency-lab: no valid preset named \"%s\"", qPrintable(parser.value(presetOption)));
    }
    if (!parser.positionalArguments().isEmpty())
        ok = window.openFile(parser.positionalArguments().constFirst());
    if (parser.isSet(pageOption)) {
        const QStringList pages{QStringLiteral("throughput"), QStringLiteral("contention"), QStringLiteral("latency"),
                                QStringLiteral("state"), QStringLiteral("timeline"), QStringLiteral("scaling")};
        const auto page = pages.indexOf(parser.value(pageOption).toLower());
        if (page >= 0)
            window.dashboard()->setCurrentPage(static_cast<clab::app::RunDashboard::Page>(page));
    }
    if (ok && parser.isSet(runOption))
        QTimer::singleShot(0, &window, &clab::app::MainWindow::run);
    return QApplication::exec();
}
