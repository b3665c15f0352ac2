// The runner end to end: every guard in threads and processes mode, crashes, kills, bad input.
#include "experiment_file.h"
#include "stats_ring.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <functional>
#include <iterator>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace clab;

namespace {

QString runnerPath()
{
    return qEnvironmentVariable("CLAB_RUNNER");
}

// Stats rings a runner made are named /clab-<runner pid>-<random>; other tests may run beside us.
QStringList shmEntriesOf(qint64 runnerPid)
{
    return QDir(QStringLiteral("/dev/shm"))
        .entryList({QStringLiteral("clab-%1-*").arg(runnerPid)}, QDir::Files | QDir::System);
}

// Direct children of a process, from /proc (all its threads' children lists).
QList<pid_t> childrenOf(pid_t pid)
{
    QList<pid_t> out;
    const QDir tasks(QStringLiteral("/proc/%1/task").arg(pid));
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile f(tasks.absoluteFilePath(tid + QStringLiteral("/children")));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        for (const QByteArray &p : f.readAll().split(' ')) {
            bool ok = false;
            const int v = p.trimmed().toInt(&ok);
            if (ok)
                out << v;
        }
    }
    return out;
}

// A process counts as alive unless it is gone or a zombie.
bool isAlive(pid_t pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const QByteArray stat = f.readAll();
    const qsizetype close = stat.lastIndexOf(')');
    return close > 0 && close + 2 < stat.size() && stat.at(close + 2) != 'Z' && stat.at(close + 2) != 'X';
}

// Makes one system call fail with `error` in the calling process and whatever it starts (a
// seccomp filter; everything else is allowed): a real refusal by the kernel at a real call, for a
// failure this machine would not produce on its own. Returns false where filters are unavailable.
bool failSyscallWith(long nr, int error) noexcept
{
#if defined(__x86_64__)
    constexpr __u32 kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
    constexpr __u32 kArch = AUDIT_ARCH_AARCH64;
#else
    return false;
#endif
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<__u32>(nr), 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (static_cast<__u32>(error) & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(std::size(filter)), filter};
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

// Whether failSyscallWith works here: tried in a child, on getppid.
bool seccompWorks()
{
    const pid_t pid = fork();
    if (pid == 0)
        _exit(failSyscallWith(SYS_getppid, ENOTRECOVERABLE) && syscall(SYS_getppid) == -1 && errno == ENOTRECOVERABLE ? 0 : 1);
    int status = 0;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

ExperimentSpec counterSpec(ExecutionModel model, Guard guard)
{
    ExperimentSpec s;
    s.name = "runner test";
    s.execution = model;
    s.workers = 2;
    s.durationNs = 300'000'000;
    s.warmupNs = 20'000'000;
    s.sampleIntervalNs = 10'000'000;
    s.placement = PlacementPolicy::Spread;
    s.lock.guard = guard;
    // Work between the read and the write widens the race window, so an unguarded counter
    // loses updates on every run where the two workers overlap, not only on lucky ones.
    s.workload.criticalSectionNs = 50;
    return s;
}

// Collects a process's stderr so a condition on it stays true once met (QTRY re-evaluates).
class ErrWatch {
public:
    explicit ErrWatch(QProcess &p) : m_p(p) {}
    bool contains(const char *what)
    {
        m_seen += m_p.readAllStandardError();
        return m_seen.contains(what);
    }
    QByteArray all()
    {
        m_seen += m_p.readAllStandardError();
        return m_seen;
    }

private:
    QProcess &m_p;
    QByteArray m_seen;
};

struct RunOutcome {
    int exitCode = -1;
    qint64 pid = 0;
    QProcess::ExitStatus exitStatus = QProcess::NormalExit;
    QByteArray out, err;
    QJsonObject result;
};

} // namespace

class TestRunner : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString writeSpec(const ExperimentSpec &spec, const QString &name)
    {
        const QString path = m_dir.filePath(name);
        QString error;
        if (!model::saveExperiment(spec, path, &error))
            qFatal("cannot write %s: %s", qPrintable(path), qPrintable(error));
        return path;
    }

    QString writeBytes(const QByteArray &bytes, const QString &name)
    {
        const QString path = m_dir.filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
            qFatal("cannot write %s", qPrintable(path));
        return path;
    }

    RunOutcome runRunner(const QStringList &args, int timeoutMs = 60'000, const std::function<void()> &inChild = {})
    {
        RunOutcome o;
        QProcess p;
        if (inChild)
            p.setChildProcessModifier(inChild);
        p.start(runnerPath(), args);
        if (!p.waitForStarted(10'000))
            qFatal("runner did not start: %s", qPrintable(p.errorString()));
        o.pid = p.processId();
        p.waitForFinished(timeoutMs);
        o.exitStatus = p.exitStatus();
        o.exitCode = p.exitCode();
        o.out = p.readAllStandardOutput();
        o.err = p.readAllStandardError();
        const qsizetype outIdx = args.indexOf(QStringLiteral("--out"));
        if (outIdx >= 0) {
            QFile f(args.at(outIdx + 1));
            if (f.open(QIODevice::ReadOnly))
                o.result = QJsonDocument::fromJson(f.readAll()).object();
        }
        return o;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(!runnerPath().isEmpty(), "CLAB_RUNNER must name the runner executable (CTest sets it)");
        QVERIFY(QFileInfo(runnerPath()).isExecutable());
        QVERIFY(m_dir.isValid());
        // Orphaned workers are re-parented to us, so a test can reap them and see them gone.
        prctl(PR_SET_CHILD_SUBREAPER, 1);
    }

    void guards_data()
    {
        QTest::addColumn<int>("model");
        QTest::addColumn<int>("guard");
        const std::pair<ExecutionModel, const char *> models[] = {{ExecutionModel::Threads, "threads"},
                                                                   {ExecutionModel::Processes, "processes"}};
        const std::pair<Guard, const char *> guards[] = {
            {Guard::None, "none"}, {Guard::Mutex, "mutex"}, {Guard::Spinlock, "spinlock"}, {Guard::Atomic, "atomic"}};
        for (const auto &[m, mName] : models) {
            for (const auto &[g, gName] : guards)
                QTest::addRow("%s, %s", mName, gName) << static_cast<int>(m) << static_cast<int>(g);
        }
    }

    void guards()
    {
        QFETCH(int, model);
        QFETCH(int, guard);
        if (std::thread::hardware_concurrency() < 2)
            QSKIP("needs two CPUs: an unguarded counter only loses updates when workers truly overlap");
        const auto g = static_cast<Guard>(guard);
        const QString file = writeSpec(counterSpec(static_cast<ExecutionModel>(model), g), QStringLiteral("guard.cclab"));
        const QString out = m_dir.filePath(QStringLiteral("guard.json"));
        const QString csv = m_dir.filePath(QStringLiteral("guard.csv"));
        const RunOutcome o = runRunner({QStringLiteral("run"), file, QStringLiteral("--out"), out, QStringLiteral("--csv"), csv,
                                        QStringLiteral("--progress"), QStringLiteral("none")});
        QVERIFY2(o.exitStatus == QProcess::NormalExit && o.exitCode == 0, o.err.constData());
        QCOMPARE(o.result.value(QStringLiteral("run")).toObject().value(QStringLiteral("status")).toString(),
                 QStringLiteral("finished"));
        const QJsonObject counter = o.result.value(QStringLiteral("counter")).toObject();
        QVERIFY2(!counter.isEmpty(), "the result must check the shared counter");
        const qint64 expected = counter.value(QStringLiteral("expected")).toInteger();
        const qint64 actual = counter.value(QStringLiteral("actual")).toInteger();
        const qint64 lost = counter.value(QStringLiteral("lostUpdates")).toInteger();
        QVERIFY(expected > 10'000);
        QCOMPARE(expected - actual, lost);
        if (g == Guard::None)
            QVERIFY2(lost > 0, qPrintable(QStringLiteral("unguarded counter lost no update in %1 increments").arg(expected)));
        else
            QCOMPARE(lost, qint64(0));

        // Each worker ran where it was pinned, and the summary has the figures the issue names.
        const QJsonArray workers = o.result.value(QStringLiteral("workers")).toArray();
        QCOMPARE(workers.size(), 2);
        QSet<int> cpus;
        for (const QJsonValue &v : workers) {
            const QJsonObject w = v.toObject();
            QVERIFY(w.value(QStringLiteral("ops")).toInteger() > 0);
            QCOMPARE(w.value(QStringLiteral("exitState")).toString(), QStringLiteral("finished"));
            const QJsonArray seen = w.value(QStringLiteral("cpusSeen")).toArray();
            QCOMPARE(seen.size(), 1);
            QCOMPARE(seen.at(0).toInt(), w.value(QStringLiteral("pinnedCpu")).toInt());
            cpus.insert(seen.at(0).toInt());
            QVERIFY(w.value(QStringLiteral("userSeconds")).toDouble() > 0.0);
        }
        QCOMPARE(cpus.size(), 2); // spread: one worker per CPU
        if (g == Guard::Mutex || g == Guard::Spinlock) {
            const QJsonObject totals = o.result.value(QStringLiteral("totals")).toObject();
            QVERIFY2(totals.value(QStringLiteral("contendedFraction")).toDouble() > 0.0,
                     "two workers on two CPUs hammering one lock must contend sometimes");
        }
        for (const char *col : {"ops/s", "wait", "contended", "hold", "p50", "p99", "user s", "sys s", "vcsw", "ivcsw"})
            QVERIFY2(o.out.contains(col), col);
        QVERIFY(o.out.contains("fairness"));

        QFile csvFile(csv);
        QVERIFY(csvFile.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csvFile.readAll().split('\n');
        QVERIFY(lines.first().startsWith("worker,t_s,phase,"));
        // Every worker publishes at least its final measured sample, however loaded the machine.
        const QByteArray all = lines.join('\n');
        QVERIFY(all.contains("\n0,") && all.contains("\n1,"));
        QVERIFY(all.contains(",measured,"));
        QVERIFY(shmEntriesOf(o.pid).isEmpty());
    }

    void workerKilledMidRun()
    {
        ExperimentSpec s = counterSpec(ExecutionModel::Processes, Guard::Mutex);
        s.durationNs = 20'000'000'000;
        s.placement = PlacementPolicy::Unpinned;
        const QString file = writeSpec(s, QStringLiteral("kill-worker.cclab"));
        const QString out = m_dir.filePath(QStringLiteral("kill-worker.json"));
        QProcess p;
        p.start(runnerPath(), {QStringLiteral("run"), file, QStringLiteral("--out"), out, QStringLiteral("--progress"),
                               QStringLiteral("lines")});
        QVERIFY(p.waitForStarted());
        const pid_t runner = static_cast<pid_t>(p.processId());
        QList<pid_t> workers;
        QTRY_VERIFY_WITH_TIMEOUT((workers = childrenOf(runner)).size() == 2, 10'000);
        // Let it measure for a second (the second progress line), so every worker has data to keep.
        ErrWatch err(p);
        QTRY_VERIFY_WITH_TIMEOUT(err.all().count("measuring") >= 2, 15'000);
        const pid_t victim = workers.at(1);
        QCOMPARE(::kill(victim, SIGKILL), 0);
        QVERIFY(p.waitForFinished(15'000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 1);
        const QByteArray all = err.all();
        QVERIFY2(all.contains(QStringLiteral("pid %1) was killed by signal 9").arg(victim).toUtf8()), all.constData());

        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject r = QJsonDocument::fromJson(f.readAll()).object();
        const QJsonObject run = r.value(QStringLiteral("run")).toObject();
        QCOMPARE(run.value(QStringLiteral("status")).toString(), QStringLiteral("failed"));
        QVERIFY(run.value(QStringLiteral("error")).toString().contains(QStringLiteral("killed by signal 9")));
        const QJsonArray ws = r.value(QStringLiteral("workers")).toArray();
        QCOMPARE(ws.size(), 2);
        int crashed = 0;
        for (const QJsonValue &v : ws) {
            const QJsonObject w = v.toObject();
            QVERIFY2(w.value(QStringLiteral("ops")).toInteger() > 0, "data gathered before the crash is kept");
            crashed += w.value(QStringLiteral("exitState")).toString() == QLatin1String("crashed");
        }
        QCOMPARE(crashed, 1);
        for (pid_t w : workers)
            QTRY_VERIFY_WITH_TIMEOUT(!isAlive(w), 5'000);
    }

    // A worker's failure reaches the run's error whole, whatever the errno (a forked worker's exit
    // status has 8 bits), with what failed, and worded by when: "could not start" only before the
    // start gate, "failed during the run" after it. EOPNOTSUPP (95) and ENOSPC (28) are made by
    // the kernel: a seccomp filter fails sched_setaffinity (pinning, before the gate) or msgsnd
    // (the System V queue's first message, after it) in the runner and its workers.
    void workerFailureSaysWhatAndWhen_data()
    {
        QTest::addColumn<int>("model");
        QTest::addColumn<bool>("duringRun");
        QTest::addColumn<QString>("expect");
        const QString pid = QStringLiteral("( \\(pid \\d+\\))?");
        const QString setup = QStringLiteral("^worker [01]") + pid +
                              QStringLiteral(" could not start: pinning to CPU [01] \\(sched_setaffinity\\): ") +
                              QString::fromLocal8Bit(std::strerror(EOPNOTSUPP)) + QStringLiteral("$");
        const QString run = QStringLiteral("^worker [01]") + pid + QStringLiteral(" failed during the run: msgsnd[^:]*: ") +
                            QString::fromLocal8Bit(std::strerror(ENOSPC)) + QStringLiteral("$");
        for (const auto &[m, name] : {std::pair{ExecutionModel::Threads, "threads"}, std::pair{ExecutionModel::Processes, "processes"}}) {
            QTest::addRow("%s, pinning fails before the start gate", name) << static_cast<int>(m) << false << setup;
            QTest::addRow("%s, a message queue fails during the run", name) << static_cast<int>(m) << true << run;
        }
    }

    void workerFailureSaysWhatAndWhen()
    {
        QFETCH(int, model);
        QFETCH(bool, duringRun);
        QFETCH(QString, expect);
        if (!seccompWorks())
            QSKIP("seccomp filters are not available here, so no system call can be made to fail on purpose");
        ExperimentSpec s = counterSpec(static_cast<ExecutionModel>(model), Guard::Mutex);
        if (duringRun) {
            s.primitive = PrimitiveKind::MessagePassing;
            s.messaging.transport = Transport::SysvMq;
            s.messaging.pattern = MessagePattern::PingPong;
            s.placement = PlacementPolicy::Unpinned;
            s.workload = Workload{};
        }
        const long nr = duringRun ? SYS_msgsnd : SYS_sched_setaffinity;
        const int error = duringRun ? ENOSPC : EOPNOTSUPP;
        const QString out = m_dir.filePath(QStringLiteral("fail.json"));
        QFile::remove(out); // a previous row's result must not stand in for this one's
        const RunOutcome o = runRunner({QStringLiteral("run"), writeSpec(s, QStringLiteral("fail.cclab")), QStringLiteral("--out"),
                                        out, QStringLiteral("--progress"), QStringLiteral("none")},
                                       60'000, [nr, error] {
                                           if (!failSyscallWith(nr, error))
                                               _exit(99);
                                       });
        QCOMPARE(o.exitStatus, QProcess::NormalExit);
        QVERIFY2(o.exitCode == 1, o.err.constData());
        const QJsonObject run = o.result.value(QStringLiteral("run")).toObject();
        QCOMPARE(run.value(QStringLiteral("status")).toString(), QStringLiteral("failed"));
        const QString message = run.value(QStringLiteral("error")).toString();
        QVERIFY2(QRegularExpression(expect).match(message).hasMatch(), qPrintable(message + QStringLiteral(" !~ ") + expect));
        QVERIFY2(o.err.contains(message.toUtf8()), o.err.constData());
        int failed = 0;
        for (const QJsonValue &v : o.result.value(QStringLiteral("workers")).toArray()) {
            const QJsonObject w = v.toObject();
            if (w.value(QStringLiteral("exitState")).toString() == QLatin1String("failed")) {
                ++failed;
                QVERIFY(QRegularExpression(expect).match(w.value(QStringLiteral("error")).toString()).hasMatch());
            }
        }
        QVERIFY(failed >= 1);
        QVERIFY(shmEntriesOf(o.pid).isEmpty());
    }

    // The planned end does not wait for the runner: with the runner process stopped (SIGSTOP, the
    // extreme of a supervisor starved of CPU by spinning workers), the workers still end their
    // measured phase at the planned duration by their own clock and exit.
    void plannedEndWithoutRunner()
    {
        ExperimentSpec s = counterSpec(ExecutionModel::Processes, Guard::Spinlock);
        s.warmupNs = 0;
        s.durationNs = 2'000'000'000;
        const QString out = m_dir.filePath(QStringLiteral("starved.json"));
        QProcess p;
        p.start(runnerPath(), {QStringLiteral("run"), writeSpec(s, QStringLiteral("starved.cclab")), QStringLiteral("--out"), out,
                               QStringLiteral("--progress"), QStringLiteral("lines")});
        QVERIFY(p.waitForStarted());
        const pid_t runner = static_cast<pid_t>(p.processId());
        ErrWatch err(p);
        QTRY_VERIFY_WITH_TIMEOUT(err.contains("measuring"), 10'000);
        const QList<pid_t> workers = childrenOf(runner);
        QCOMPARE(workers.size(), 2);
        QCOMPARE(::kill(runner, SIGSTOP), 0);
        QElapsedTimer stopped;
        stopped.start();
        const bool ended = QTest::qWaitFor([&] { return std::none_of(workers.begin(), workers.end(), isAlive); }, 10'000);
        const qint64 endedAfterMs = stopped.elapsed();
        QCOMPARE(::kill(runner, SIGCONT), 0);
        QVERIFY2(ended, "the workers kept running past the planned end while the runner was stopped");
        qInfo("workers ended %lld ms after the runner was stopped", endedAfterMs);
        QVERIFY(p.waitForFinished(15'000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() == 0, err.all().constData());
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject r = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(r.value(QStringLiteral("run")).toObject().value(QStringLiteral("status")).toString(), QStringLiteral("finished"));
        for (const QJsonValue &v : r.value(QStringLiteral("workers")).toArray()) {
            const QJsonObject w = v.toObject();
            QCOMPARE(w.value(QStringLiteral("exitState")).toString(), QStringLiteral("finished"));
            // From its first clock check after the gate to its first one after the planned end
            // (bounds loose: a loaded machine may run a worker late at either end).
            const double measured = w.value(QStringLiteral("measuredSeconds")).toDouble();
            QVERIFY2(measured > 1.0 && measured < 2.5, qPrintable(QString::number(measured)));
        }
        QCOMPARE(r.value(QStringLiteral("counter")).toObject().value(QStringLiteral("lostUpdates")).toInteger(), qint64(0));
        QVERIFY(shmEntriesOf(runner).isEmpty());
    }

    void runnerKilledMidRun_data()
    {
        QTest::addColumn<int>("model");
        QTest::addColumn<bool>("externalRing");
        QTest::addRow("processes, own ring") << static_cast<int>(ExecutionModel::Processes) << false;
        QTest::addRow("processes, ring made by another program") << static_cast<int>(ExecutionModel::Processes) << true;
        QTest::addRow("threads, ring made by another program") << static_cast<int>(ExecutionModel::Threads) << true;
    }

    void runnerKilledMidRun()
    {
        QFETCH(int, model);
        QFETCH(bool, externalRing);
        ExperimentSpec s = counterSpec(static_cast<ExecutionModel>(model), Guard::Mutex);
        s.workers = 3;
        s.durationNs = 30'000'000'000;
        s.placement = PlacementPolicy::Unpinned;
        const QString file = writeSpec(s, QStringLiteral("kill-runner.cclab"));
        QStringList args{QStringLiteral("run"), file, QStringLiteral("--progress"), QStringLiteral("lines")};
        std::optional<StatsRing> ring;
        if (externalRing) {
            ring.emplace(StatsRing::create(StatsRing::uniqueName(), s.workers, 64));
            args << QStringLiteral("--ring") << QString::fromStdString(ring->name());
        }
        QProcess p;
        p.start(runnerPath(), args);
        QVERIFY(p.waitForStarted());
        const pid_t runner = static_cast<pid_t>(p.processId());
        ErrWatch err(p);
        QTRY_VERIFY_WITH_TIMEOUT(err.contains("measuring"), 10'000);
        const QList<pid_t> workers = childrenOf(runner);
        if (static_cast<ExecutionModel>(model) == ExecutionModel::Processes)
            QCOMPARE(workers.size(), 3);
        if (ring) {
            // The runner removed the name as soon as it attached: nothing can leak from here on.
            QVERIFY(!QFile::exists(QStringLiteral("/dev/shm") + QString::fromStdString(ring->name())));
        }
        QCOMPARE(::kill(runner, SIGKILL), 0);
        QVERIFY(p.waitForFinished(10'000));
        QCOMPARE(p.exitStatus(), QProcess::CrashExit);
        for (pid_t w : workers) {
            // Orphans come to us (subreaper): reap them, then they must be gone.
            QTRY_VERIFY_WITH_TIMEOUT((waitpid(w, nullptr, WNOHANG), !isAlive(w)), 5'000);
        }
        QVERIFY(shmEntriesOf(runner).isEmpty());
        if (ring)
            QVERIFY(!QFile::exists(QStringLiteral("/dev/shm") + QString::fromStdString(ring->name())));
        QVERIFY(childrenOf(runner).isEmpty());
    }

    void stopWithSigint()
    {
        ExperimentSpec s = counterSpec(ExecutionModel::Processes, Guard::Spinlock);
        s.durationNs = 30'000'000'000;
        const QString file = writeSpec(s, QStringLiteral("sigint.cclab"));
        const QString out = m_dir.filePath(QStringLiteral("sigint.json"));
        QProcess p;
        p.start(runnerPath(), {QStringLiteral("run"), file, QStringLiteral("--out"), out, QStringLiteral("--progress"),
                               QStringLiteral("lines")});
        QVERIFY(p.waitForStarted());
        ErrWatch err(p);
        QTRY_VERIFY_WITH_TIMEOUT(err.contains("measuring"), 10'000);
        const QList<pid_t> workers = childrenOf(static_cast<pid_t>(p.processId()));
        ::kill(static_cast<pid_t>(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(10'000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 0);
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject r = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(r.value(QStringLiteral("run")).toObject().value(QStringLiteral("status")).toString(), QStringLiteral("stopped"));
        QVERIFY(r.value(QStringLiteral("counter")).toObject().value(QStringLiteral("lostUpdates")).toInteger() == 0);
        for (pid_t w : workers)
            QVERIFY(!isAlive(w));
    }

    void operationsBounded()
    {
        ExperimentSpec s = counterSpec(ExecutionModel::Threads, Guard::Atomic);
        s.durationNs = 0;
        s.operationsPerWorker = 100'000;
        s.warmupNs = 0;
        const QString out = m_dir.filePath(QStringLiteral("ops.json"));
        const RunOutcome o = runRunner({QStringLiteral("run"), writeSpec(s, QStringLiteral("ops.cclab")), QStringLiteral("--out"),
                                        out, QStringLiteral("--progress"), QStringLiteral("none")});
        QCOMPARE(o.exitCode, 0);
        for (const QJsonValue &v : o.result.value(QStringLiteral("workers")).toArray())
            QCOMPARE(v.toObject().value(QStringLiteral("ops")).toInteger(), qint64(100'000));
        QCOMPARE(o.result.value(QStringLiteral("counter")).toObject().value(QStringLiteral("actual")).toInteger(), qint64(200'000));
    }

    void badInput_data()
    {
        QTest::addColumn<QByteArray>("content"); // empty: the path is a directory / missing
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("expect");
        QTest::addRow("malformed JSON") << QByteArray("{\"format\": \"concurrency-lab\", ") << "file"
                                        << "not valid JSON";
        QTest::addRow("empty file") << QByteArray() << "file" << "empty";
        QTest::addRow("directory") << QByteArray() << "dir" << "directory";
        QTest::addRow("missing file") << QByteArray() << "missing" << "not found";
        QTest::addRow("not an experiment") << QByteArray("{\"hello\": 1}") << "file" << "not a Concurrency Lab experiment";
        QTest::addRow("newer schema") << QByteArray("{\"format\":\"concurrency-lab\",\"schemaVersion\":99}") << "file"
                                      << "newer";
        QTest::addRow("worker count out of range")
            << QByteArray(R"({"format":"concurrency-lab","schemaVersion":1,"name":"x","execution":"threads","workers":0,)"
                          R"("duration":"1 s","primitive":{"kind":"lock-contention","guard":"mutex"}})")
            << "file" << "workers: must be 1..1024, got 0";
        QByteArray noise(4096, '\0');
        QRandomGenerator rng(1234);
        rng.fillRange(reinterpret_cast<quint32 *>(noise.data()), noise.size() / 4);
        QTest::addRow("random bytes") << noise << "file" << "";
    }

    void badInput()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, kind);
        QFETCH(QString, expect);
        QString path;
        if (kind == QLatin1String("dir")) {
            path = m_dir.filePath(QStringLiteral("a-directory.cclab"));
            QDir().mkpath(path);
        } else if (kind == QLatin1String("missing")) {
            path = m_dir.filePath(QStringLiteral("no-such-file.cclab"));
        } else {
            path = writeBytes(content, QStringLiteral("bad.cclab"));
        }
        for (const QString &cmd : {QStringLiteral("run"), QStringLiteral("validate")}) {
            const RunOutcome o = runRunner({cmd, path, QStringLiteral("--progress"), QStringLiteral("none")});
            QCOMPARE(o.exitStatus, QProcess::NormalExit); // never a crash
            QCOMPARE(o.exitCode, cmd == QLatin1String("run") ? 2 : 1);
            QVERIFY2(o.err.contains(path.toUtf8()), o.err.constData()); // the error names the file
            QVERIFY2(o.err.contains(expect.toUtf8()), o.err.constData());
        }
    }

    void commandLine()
    {
        RunOutcome o = runRunner({QStringLiteral("--version")});
        QCOMPARE(o.exitCode, 0);
        QVERIFY(o.out.startsWith("concurrency-lab-runner "));
        o = runRunner({QStringLiteral("--help")});
        QCOMPARE(o.exitCode, 0);
        QVERIFY(o.out.contains("validate FILE"));
        o = runRunner({QStringLiteral("frobnicate")});
        QCOMPARE(o.exitCode, 2);
        QVERIFY(o.err.contains("unknown command"));
        o = runRunner({QStringLiteral("run")});
        QCOMPARE(o.exitCode, 2);
        o = runRunner({QStringLiteral("list-presets")});
        QCOMPARE(o.exitCode, 0);
        QVERIFY2(o.out.contains("lock-contention"), o.out.constData());
        o = runRunner({QStringLiteral("validate"), QStringLiteral("lock-contention")});
        QCOMPARE(o.exitCode, 0);
    }

    void impossiblePlacement()
    {
        ExperimentSpec s = counterSpec(ExecutionModel::Threads, Guard::Mutex);
        s.placement = PlacementPolicy::CpuList;
        s.cpuList = {1000};
        const RunOutcome o = runRunner({QStringLiteral("run"), writeSpec(s, QStringLiteral("cpu.cclab"))});
        QCOMPARE(o.exitCode, 2);
        QVERIFY2(o.err.contains("CPU 1000 is not available"), o.err.constData());
    }

    // A sweep whose later point cannot start keeps what the earlier points measured: the result
    // file holds them, and the error names the point that could not run.
    void sweepKeepsPointsBeforeOneThatCannotStart()
    {
        const QByteArray file = R"({
            "format": "concurrency-lab", "schemaVersion": 1, "name": "late impossible point",
            "execution": "threads", "workers": 1, "duration": "100 ms", "warmup": "0 ms",
            "primitive": {"kind": "lock-contention", "guard": "mutex"},
            "sweep": [{"parameter": "placement", "values": [[0], [1000]]}]
        })";
        const QString out = m_dir.filePath(QStringLiteral("late.json"));
        QFile::remove(out);
        const RunOutcome o = runRunner({QStringLiteral("run"), writeBytes(file, QStringLiteral("late.cclab")), QStringLiteral("--out"), out,
                                        QStringLiteral("--progress"), QStringLiteral("none")});
        QCOMPARE(o.exitCode, 2);
        QVERIFY2(o.err.contains("cannot run point") && o.err.contains("CPU 1000 is not available"), o.err.constData());
        QFile f(out);
        QVERIFY2(f.open(QIODevice::ReadOnly), "the points that ran are saved");
        const QJsonObject result = QJsonDocument::fromJson(f.readAll()).object();
        const QJsonArray points = result.value(QStringLiteral("points")).toArray();
        QCOMPARE(points.size(), 1);
        QCOMPARE(points.at(0).toObject().value(QStringLiteral("run")).toObject().value(QStringLiteral("status")).toString(),
                 QStringLiteral("finished"));
    }
};

QTEST_GUILESS_MAIN(TestRunner)
#include "tst_runner.moc"
