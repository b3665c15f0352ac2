// ThreadSanitizer suppressions for QtTest's own watchdog thread, compiled in only under TSan.
#pragma once

#if defined(__SANITIZE_THREAD__)
// Qt is not built with TSan, so the synchronisation inside QThread::wait() and QWaitCondition is
// invisible to it, and QtTest's watchdog teardown at exit is reported as three races (condition
// variable destroyed / broadcast, operator delete in QTest::qRun vs pthread_cond_wait in the
// watchdog). The patterns name frames that only Qt's own code has: a race in the code under test
// is still reported. One definition per test executable (this header is included once in each).
extern "C" const char *__tsan_default_suppressions()
{
    return "race:QWaitCondition::~QWaitCondition\n"
           "race:QWaitCondition::wakeAll\n"
           "race:pthread_cond_wait\n";
}
#endif
