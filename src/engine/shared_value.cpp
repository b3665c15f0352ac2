// The course's Value(ctype, data) / Array(ctype, init_or_size): concurrent read-modify-write of a
// shared value or array under no guard, a mutex or an atomic; lost updates and torn strings counted.
//
// What an operation does
//  * numbers (int32, int64, double): the k-th operation of a worker (warm-up included) adds 1 to
//    element k % length. Every worker walks the array in the same order, the way a Python loop
//    `for i in range(n): arr[i % len(arr)] += 1` would, so the expected value of each element is
//    known exactly from the workers' operation counts and the lost updates are counted per element.
//      none:   relaxed atomic load, the critical section's work, relaxed atomic store. The race is
//              real (another worker's store between the two is lost) but not undefined behaviour.
//      mutex:  the same read-modify-write inside a process-shared mutex (robust in processes mode).
//      atomic: fetch_add for integers; a compare-and-swap loop for double (there is no hardware
//              floating-point add), whose retries are counted as contention.
//  * char (bytes): each worker writes the whole string with its own letter ('A' for worker 0, 'B'
//    for worker 1, ...), does the critical section's work, then reads the whole string back. A read
//    that mixes letters is torn; a whole string of another worker's letter was overwritten (the
//    course's "a write overwrites what was there"). Bytes are written and read one at a time with
//    relaxed atomics, so unguarded the interleaving is visible at byte granularity. With the mutex
//    a read can be neither torn nor overwritten. (atomic is refused: a whole string cannot be
//    written by one atomic instruction.)
#include "experiment_family.h"
#include "worker_loop_impl.h"
#include "workload.h"

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <new>
#include <pthread.h>

namespace clab {

namespace {

// One uncontended mutex acquisition in this many is timed (and booked with this weight); contended
// ones always are. The same scheme as the lock-contention experiment.
constexpr std::uint64_t kTimingSampleEvery = 64;
// Arrays up to this length get per-element figures; longer ones get totals, the worst element and
// the number of elements that lost updates.
constexpr std::uint32_t kMaxPerElementFigures = 64;

struct SharedValueHeader {
    alignas(CLAB_CACHE_LINE) pthread_mutex_t mutex;
};

// Written by its own worker only, after its loop (read by finish()).
struct alignas(CLAB_CACHE_LINE) SharedValueWorkerSlot {
    std::uint64_t reads = 0;
    std::uint64_t tornReads = 0;
    std::uint64_t overwrittenReads = 0;
    std::uint64_t casRetries = 0;
};

std::size_t roundUp(std::size_t n) { return (n + CLAB_CACHE_LINE - 1) / CLAB_CACHE_LINE * CLAB_CACHE_LINE; }

std::size_t elementSize(ElementType t)
{
    switch (t) {
    case ElementType::Int32: return 4;
    case ElementType::Int64: return 8;
    case ElementType::Double: return 8;
    case ElementType::Char: return 1;
    }
    return 8;
}

std::uint32_t elementCount(const SharedValueParams &p)
{
    if (p.type == ElementType::Char)
        return p.initialText.empty() ? p.length : static_cast<std::uint32_t>(std::min<std::size_t>(p.initialText.size(), UINT32_MAX));
    return p.initial.empty() ? p.length : static_cast<std::uint32_t>(std::min<std::size_t>(p.initial.size(), UINT32_MAX));
}

// The shared block: header (mutex), one slot per worker, then the elements, contiguous as in a
// ctypes array (neighbouring elements share cache lines, as they do in Python).
struct Layout {
    std::uint32_t length = 0;
    std::size_t slots = 0;
    std::size_t data = 0;
    std::size_t total = 0;
    explicit Layout(const ExperimentSpec &spec)
    {
        length = elementCount(spec.sharedValue);
        slots = roundUp(sizeof(SharedValueHeader));
        data = slots + roundUp(sizeof(SharedValueWorkerSlot) * spec.workers);
        total = data + roundUp(std::max<std::size_t>(1, static_cast<std::size_t>(length) * elementSize(spec.sharedValue.type)));
    }
};

SharedValueHeader *headerOf(void *mem) { return static_cast<SharedValueHeader *>(mem); }
SharedValueWorkerSlot *slotsOf(void *mem, const Layout &l)
{
    return reinterpret_cast<SharedValueWorkerSlot *>(static_cast<std::byte *>(mem) + l.slots);
}
template<class T>
T *dataOf(void *mem, const Layout &l)
{
    return reinterpret_cast<T *>(static_cast<std::byte *>(mem) + l.data);
}

std::size_t sharedSize(const ExperimentSpec &spec) { return Layout(spec).total; }

double initialOf(const SharedValueParams &p, std::uint32_t i) { return i < p.initial.size() ? p.initial[i] : 0.0; }

std::string checkParams(const ExperimentSpec &spec)
{
    const SharedValueParams &p = spec.sharedValue;
    if (p.guard == Guard::Spinlock)
        return "primitive.guard: the shared-value experiment offers none, mutex or atomic, got spinlock";
    if (p.type == ElementType::Char && p.guard == Guard::Atomic)
        return "primitive.guard: atomic is not available for char: a whole string cannot be written by one atomic "
               "instruction (use none or mutex)";
    const std::uint32_t n = elementCount(p);
    if (n == 0)
        return p.type == ElementType::Char ? "primitive.length: the string needs at least 1 byte (length or initialText)"
                                           : "primitive.length: the array needs at least 1 element";
    if (n > limits::kMaxArrayLength)
        return "primitive.length: at most " + std::to_string(limits::kMaxArrayLength) + " elements, got " + std::to_string(n);
    if (p.type == ElementType::Int32 || p.type == ElementType::Int64) {
        const double lo = p.type == ElementType::Int32 ? -2147483648.0 : -9223372036854775808.0;
        const double hi = p.type == ElementType::Int32 ? 2147483647.0 : 9223372036854775807.0;
        for (std::size_t i = 0; i < p.initial.size(); ++i) {
            const double v = p.initial[i];
            if (!std::isfinite(v) || v != std::trunc(v) || v < lo || v > hi)
                return "primitive.initial[" + std::to_string(i) + "]: " + std::to_string(v) + " is not an " +
                       toString(p.type) + " value";
        }
    }
    return checkWorkload(spec);
}

std::string init(void *mem, const ExperimentSpec &spec, bool processShared)
{
    if (std::string error = checkParams(spec); !error.empty())
        return error;
    const Layout l(spec);
    const SharedValueParams &p = spec.sharedValue;
    auto *h = new (mem) SharedValueHeader{};
    for (std::uint32_t w = 0; w < spec.workers; ++w)
        new (slotsOf(mem, l) + w) SharedValueWorkerSlot{};
    switch (p.type) {
    case ElementType::Int32:
        for (std::uint32_t i = 0; i < l.length; ++i)
            dataOf<std::int32_t>(mem, l)[i] = static_cast<std::int32_t>(initialOf(p, i));
        break;
    case ElementType::Int64:
        for (std::uint32_t i = 0; i < l.length; ++i)
            dataOf<std::int64_t>(mem, l)[i] = static_cast<std::int64_t>(initialOf(p, i));
        break;
    case ElementType::Double:
        for (std::uint32_t i = 0; i < l.length; ++i)
            dataOf<double>(mem, l)[i] = initialOf(p, i);
        break;
    case ElementType::Char:
        if (!p.initialText.empty())
            std::memcpy(dataOf<char>(mem, l), p.initialText.data(), l.length);
        break;
    }
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    if (processShared) {
        pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
        pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    }
    const int rc = pthread_mutex_init(&h->mutex, &attr);
    pthread_mutexattr_destroy(&attr);
    return rc == 0 ? std::string() : std::string("cannot initialise the shared value's mutex: ") + std::strerror(rc);
}

void cleanup(void *mem, const ExperimentSpec &, bool stuckThreads)
{
    if (!stuckThreads)
        pthread_mutex_destroy(&headerOf(mem)->mutex);
}

// --- operations -------------------------------------------------------------------------------

// What every operation shares: the workload outside the guarded part, the critical section's
// calibrated work, and the worker's own tallies (copied to its slot after the loop).
struct OpCommon {
    SharedValueHeader *header;
    SharedValueWorkerSlot *slot;
    TickClock clock;
    OperationWork work;
    std::uint64_t csUnits;
    std::uint64_t seed;
    std::uint64_t countdown;
    SharedValueWorkerSlot tally; // private copy: the slot is written once, at the end

    OpCommon(WorkerEnv &env, const Layout &l)
        : header(headerOf(env.primitiveShared))
        , slot(slotsOf(env.primitiveShared, l) + env.index)
        , clock(env.clock)
        , work(env.spec->workload, env.work, 0xD1B54A32D192ED03ULL * (env.index + 1))
        , csUnits(env.work.unitsFor(env.spec->workload.criticalSectionNs))
        , seed(0x9E3779B97F4A7C15ULL * (env.index + 1))
        , countdown(1 + env.index % kTimingSampleEvery) // stagger so workers do not time in lock step
    {
    }

    void criticalWork() noexcept
    {
        if (csUnits != 0)
            seed = spinWork(csUnits, seed);
    }
    bool sampleThisOne() noexcept
    {
        if (--countdown != 0) [[likely]]
            return false;
        countdown = kTimingSampleEvery;
        return true;
    }
    // Books one timed acquisition (weight > 1 for a sampled uncontended one).
    void book(WorkerCounters &c, StatsLaneWriter &lane, bool measuring, std::uint64_t t0, std::uint64_t tAcq,
              std::uint64_t tRel, std::uint64_t weight) noexcept
    {
        const std::uint64_t waitTicks = tAcq - t0;
        c.waitTicks += waitTicks * weight;
        c.holdTicks += (tRel - tAcq) * weight;
        const std::uint64_t waitNs = clock.toNs(waitTicks);
        c.latencyCount += weight;
        c.latencySumNs += waitNs * weight;
        if (measuring)
            lane.recordLatency(waitNs, weight);
    }
    void publishTally() noexcept { *slot = tally; }
};

// The read-modify-write of one element (the part a guard protects). The k-th call updates
// element k % length.
// Memory ordering: relaxed load and store; a guard (mutex) orders them, none leaves the race open.
template<class T>
struct NumericSection {
    T *data;
    std::uint32_t length;
    std::uint32_t next = 0;

    void operator()(OpCommon &o, WorkerCounters &c) noexcept
    {
        std::atomic_ref<T> e(data[next]);
        const T v = e.load(std::memory_order_relaxed);
        o.criticalWork();
        e.store(static_cast<T>(v + T(1)), std::memory_order_relaxed);
        c.gauge0 = static_cast<std::int64_t>(v + T(1)); // the value this worker last wrote
        next = next + 1 == length ? 0 : next + 1;
    }
};

// Write the whole string with this worker's letter, work, read it back whole.
// Memory ordering: relaxed byte stores and loads; with the mutex, its acquire/release orders them.
struct StringSection {
    char *text;
    std::uint32_t length;
    char letter;

    void operator()(OpCommon &o, WorkerCounters &c) noexcept
    {
        for (std::uint32_t i = 0; i < length; ++i)
            std::atomic_ref<char>(text[i]).store(letter, std::memory_order_relaxed);
        o.criticalWork();
        const char first = std::atomic_ref<char>(text[0]).load(std::memory_order_relaxed);
        bool torn = false;
        for (std::uint32_t i = 1; i < length; ++i)
            torn |= std::atomic_ref<char>(text[i]).load(std::memory_order_relaxed) != first;
        ++o.tally.reads;
        if (torn)
            ++o.tally.tornReads;
        else if (first != letter)
            ++o.tally.overwrittenReads;
        c.gauge0 = static_cast<std::int64_t>(o.tally.tornReads);
        c.gauge1 = static_cast<std::int64_t>(o.tally.overwrittenReads);
    }
};

// No guard: the section runs as it is, racing with the other workers.
template<class Section>
struct UnguardedOp {
    OpCommon common;
    Section section;
    void operator()(WorkerCounters &c, StatsLaneWriter &, bool) noexcept
    {
        common.work.run();
        section(common, c);
    }
};

// A process-shared mutex around the section: try first; only a failed try (or 1 in K
// successful ones) is timed.
template<class Section>
struct MutexOp {
    OpCommon common;
    Section section;
    void operator()(WorkerCounters &c, StatsLaneWriter &lane, bool measuring) noexcept
    {
        OpCommon &o = common;
        o.work.run();
        pthread_mutex_t *m = &o.header->mutex;
        const bool sampled = o.sampleThisOne();
        const std::uint64_t t0 = sampled ? o.clock.now() : 0;
        int rc = pthread_mutex_trylock(m);
        if (rc == 0) [[likely]] {
            if (!sampled) [[likely]] {
                section(o, c);
                pthread_mutex_unlock(m);
                return;
            }
            const std::uint64_t tAcq = o.clock.now();
            section(o, c);
            const std::uint64_t tRel = o.clock.now();
            pthread_mutex_unlock(m);
            o.book(c, lane, measuring, t0, tAcq, tRel, kTimingSampleEvery);
            return;
        }
        const std::uint64_t tWait = sampled ? t0 : o.clock.now();
        if (rc == EBUSY) {
            ++c.contended;
            rc = pthread_mutex_lock(m);
        }
        if (rc == EOWNERDEAD) { // a worker died holding it (processes mode): the value may be mid-update
            pthread_mutex_consistent(m);
            ++c.ownerDied;
        }
        const std::uint64_t tAcq = o.clock.now();
        section(o, c);
        const std::uint64_t tRel = o.clock.now();
        pthread_mutex_unlock(m);
        o.book(c, lane, measuring, tWait, tAcq, tRel, 1);
    }
};

// Lock-free add. Integers: one fetch_add. double: load, then compare-and-swap old -> old + 1 until
// no other worker changed the value in between; every retry is counted, and an operation that
// needed one counts as contended. The CAS is timed 1 in K (wait = the whole add, retries included).
// Memory ordering: relaxed (a counter orders nothing else).
template<class T>
struct AtomicOp {
    OpCommon common;
    T *data;
    std::uint32_t length;
    std::uint32_t next = 0;

    void operator()(WorkerCounters &c, StatsLaneWriter &lane, bool measuring) noexcept
    {
        OpCommon &o = common;
        o.work.run();
        o.criticalWork(); // an atomic has no critical section: the same work is done beside it
        const bool sampled = o.sampleThisOne();
        const std::uint64_t t0 = sampled ? o.clock.now() : 0;
        std::atomic_ref<T> e(data[next]);
        T written;
        if constexpr (std::is_integral_v<T>) {
            written = static_cast<T>(e.fetch_add(T(1), std::memory_order_relaxed) + T(1));
        } else {
            T old = e.load(std::memory_order_relaxed);
            std::uint64_t retries = 0;
            while (!e.compare_exchange_weak(old, old + T(1), std::memory_order_relaxed, std::memory_order_relaxed))
                ++retries;
            written = old + T(1);
            if (retries != 0) {
                ++c.contended;
                o.tally.casRetries += retries;
            }
        }
        c.gauge0 = static_cast<std::int64_t>(written);
        next = next + 1 == length ? 0 : next + 1;
        if (sampled) {
            const std::uint64_t t1 = o.clock.now();
            o.book(c, lane, measuring, t0, t1, t1, kTimingSampleEvery);
        }
    }
};

template<class Op>
int runOp(WorkerEnv &env, Op &op) noexcept
{
    if (const int e = op.common.work.prepare(); e != 0)
        return e;
    const int rc = detail::workerLoop(env, op);
    op.common.publishTally();
    return rc;
}

template<class T>
int runNumeric(WorkerEnv &env, const Layout &l) noexcept
{
    T *data = dataOf<T>(env.primitiveShared, l);
    switch (env.spec->sharedValue.guard) {
    case Guard::None: {
        UnguardedOp<NumericSection<T>> op{OpCommon(env, l), NumericSection<T>{data, l.length}};
        return runOp(env, op);
    }
    case Guard::Mutex: {
        MutexOp<NumericSection<T>> op{OpCommon(env, l), NumericSection<T>{data, l.length}};
        return runOp(env, op);
    }
    case Guard::Atomic: {
        AtomicOp<T> op{OpCommon(env, l), data, l.length};
        return runOp(env, op);
    }
    case Guard::Spinlock: break;
    }
    return EINVAL;
}

int runSharedValueWorker(WorkerEnv &env) noexcept
{
    const Layout l(*env.spec);
    switch (env.spec->sharedValue.type) {
    case ElementType::Int32: return runNumeric<std::int32_t>(env, l);
    case ElementType::Int64: return runNumeric<std::int64_t>(env, l);
    case ElementType::Double: return runNumeric<double>(env, l);
    case ElementType::Char: {
        const StringSection section{dataOf<char>(env.primitiveShared, l), l.length, static_cast<char>('A' + env.index % 26)};
        if (env.spec->sharedValue.guard == Guard::Mutex) {
            MutexOp<StringSection> op{OpCommon(env, l), section};
            return runOp(env, op);
        }
        if (env.spec->sharedValue.guard == Guard::None) {
            UnguardedOp<StringSection> op{OpCommon(env, l), section};
            return runOp(env, op);
        }
        return EINVAL;
    }
    }
    return EINVAL;
}

// --- the tally --------------------------------------------------------------------------------

void addFigure(RunResult &r, std::string name, std::string label, double value, std::string unit = {})
{
    r.figures.push_back(NamedFigure{std::move(name), std::move(label), value, std::move(unit)});
}

// Increments element i received, as the type's arithmetic sees them (int32 wraps modulo 2^32).
template<class T>
std::int64_t observedIncrements(const T *data, std::uint32_t i, double initial)
{
    const T v = std::atomic_ref<const T>(data[i]).load(std::memory_order_acquire);
    if constexpr (std::is_same_v<T, std::int32_t>)
        return static_cast<std::int64_t>(static_cast<std::uint32_t>(v) - static_cast<std::uint32_t>(static_cast<std::int32_t>(initial)));
    else if constexpr (std::is_same_v<T, std::int64_t>)
        return static_cast<std::int64_t>(static_cast<std::uint64_t>(v) - static_cast<std::uint64_t>(static_cast<std::int64_t>(initial)));
    else
        return static_cast<std::int64_t>(std::llround(v - initial));
}

template<class T>
void finishNumeric(void *mem, const ExperimentSpec &spec, const Layout &l, RunResult &result)
{
    const SharedValueParams &p = spec.sharedValue;
    const T *data = dataOf<T>(mem, l);
    const std::uint32_t n = l.length;
    const bool perElement = n > 1 && n <= kMaxPerElementFigures;
    std::uint64_t expectedTotal = 0, observedTotal = 0, lostTotal = 0, lostMax = 0, elementsLosing = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
        // Worker w's k-th operation updated element k % n: element i got opsTotal / n updates from
        // it, plus one when i < opsTotal % n.
        std::uint64_t expected = 0;
        for (const WorkerResult &w : result.workers)
            expected += w.opsTotal / n + (i < w.opsTotal % n ? 1 : 0);
        const std::int64_t observed = observedIncrements(data, i, initialOf(p, i));
        const std::int64_t lost = static_cast<std::int64_t>(expected) - observed;
        expectedTotal += expected;
        observedTotal += observed > 0 ? static_cast<std::uint64_t>(observed) : 0;
        if (lost > 0) {
            lostTotal += static_cast<std::uint64_t>(lost);
            lostMax = std::max(lostMax, static_cast<std::uint64_t>(lost));
            ++elementsLosing;
        }
        const std::string idx = "[" + std::to_string(i) + "]";
        if (n == 1) {
            addFigure(result, "expected", "increments made", static_cast<double>(expected));
            addFigure(result, "actual", "increments the value received", static_cast<double>(observed));
        } else if (perElement) {
            addFigure(result, "expected" + idx, "element " + std::to_string(i) + ": increments made", static_cast<double>(expected));
            addFigure(result, "actual" + idx, "element " + std::to_string(i) + ": increments received", static_cast<double>(observed));
            addFigure(result, "lostUpdates" + idx, "element " + std::to_string(i) + ": lost updates", static_cast<double>(lost));
        }
    }
    result.counter = CounterCheck{expectedTotal, observedTotal};
    addFigure(result, "length", n == 1 ? "a Value (one element)" : "array elements", n);
    addFigure(result, "lostUpdates", "lost updates (all elements)", static_cast<double>(lostTotal));
    addFigure(result, "lostFraction", "share of the increments that were lost",
              expectedTotal == 0 ? 0.0 : static_cast<double>(lostTotal) / static_cast<double>(expectedTotal));
    if (n > 1) {
        addFigure(result, "lostUpdatesMaxElement", "most updates lost by one element", static_cast<double>(lostMax));
        addFigure(result, "elementsWithLostUpdates", "elements that lost updates", static_cast<double>(elementsLosing));
    }
    if (p.guard == Guard::Atomic && std::is_floating_point_v<T>) {
        std::uint64_t retries = 0;
        for (std::uint32_t w = 0; w < spec.workers; ++w)
            retries += slotsOf(mem, l)[w].casRetries;
        addFigure(result, "casRetries", "compare-and-swap retries (another worker changed the value first)", static_cast<double>(retries));
    }
    if (p.guard != Guard::None) {
        ResultCheck check;
        check.name = "noLostUpdates";
        check.description = std::string("with the ") + toString(p.guard) + " guard no update is lost";
        check.passed = lostTotal == 0 && observedTotal == expectedTotal;
        check.detail = std::to_string(expectedTotal) + " increments made, " + std::to_string(observedTotal) + " received";
        if (lostTotal != 0)
            check.detail += ", " + std::to_string(lostTotal) + " lost";
        result.checks.push_back(std::move(check));
    }
}

void finishString(void *mem, const ExperimentSpec &spec, const Layout &l, RunResult &result)
{
    std::uint64_t reads = 0, torn = 0, overwritten = 0;
    for (std::uint32_t w = 0; w < spec.workers; ++w) {
        const SharedValueWorkerSlot &s = slotsOf(mem, l)[w];
        reads += s.reads;
        torn += s.tornReads;
        overwritten += s.overwrittenReads;
    }
    const char *text = dataOf<char>(mem, l);
    bool whole = true;
    for (std::uint32_t i = 1; i < l.length; ++i)
        whole &= text[i] == text[0];
    addFigure(result, "length", "string length", l.length, "B");
    addFigure(result, "reads", "whole-string reads", static_cast<double>(reads));
    addFigure(result, "tornReads", "torn reads (letters of several writers mixed)", static_cast<double>(torn));
    addFigure(result, "overwrittenReads", "reads that found another writer's whole string", static_cast<double>(overwritten));
    addFigure(result, "tornFraction", "share of the reads that were torn",
              reads == 0 ? 0.0 : static_cast<double>(torn) / static_cast<double>(reads));
    addFigure(result, "finalStringTorn", "the string left at the end mixes letters (1) or not (0)", whole ? 0.0 : 1.0);
    if (spec.sharedValue.guard == Guard::Mutex) {
        ResultCheck check;
        check.name = "noTornReads";
        check.description = "with the mutex no read sees a torn or overwritten string";
        check.passed = torn == 0 && overwritten == 0 && whole;
        check.detail = std::to_string(reads) + " reads, " + std::to_string(torn) + " torn, " + std::to_string(overwritten) +
                       " overwritten; final string " + (whole ? "whole" : "torn");
        result.checks.push_back(std::move(check));
    }
}

void finish(void *mem, const ExperimentSpec &spec, bool allFinished, RunResult &result)
{
    if (!allFinished)
        return; // a worker that did not finish took its operation count with it: no exact tally
    const Layout l(spec);
    switch (spec.sharedValue.type) {
    case ElementType::Int32: finishNumeric<std::int32_t>(mem, spec, l, result); break;
    case ElementType::Int64: finishNumeric<std::int64_t>(mem, spec, l, result); break;
    case ElementType::Double: finishNumeric<double>(mem, spec, l, result); break;
    case ElementType::Char: finishString(mem, spec, l, result); break;
    }
}

} // namespace

const ExperimentFamily kSharedValueFamily{PrimitiveKind::SharedValue, sharedSize, init, runSharedValueWorker, finish, cleanup};

} // namespace clab
