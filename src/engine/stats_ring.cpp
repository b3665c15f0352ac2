// The stats ring's segment management, producer and reader.
#include "stats_ring.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace clab {

namespace {
constexpr std::size_t kProducerOffset = 0;
constexpr std::size_t kConsumerOffset = CLAB_CACHE_LINE;
constexpr std::size_t kFinalOffset = kConsumerOffset + CLAB_MAX_CONSUMERS * sizeof(clab_lane_consumer);
constexpr std::size_t kHistOffset = kFinalOffset + sizeof(clab_lane_final);
constexpr std::size_t kSamplesOffset = kHistOffset + CLAB_HIST_BUCKETS * sizeof(std::uint64_t);
static_assert(kSamplesOffset % CLAB_CACHE_LINE == 0, "samples start on a cache line");

template<class T>
std::atomic_ref<T> atomicRef(T &v) noexcept
{
    return std::atomic_ref<T>(v);
}

[[noreturn]] void throwErrno(const std::string &what)
{
    throw std::system_error(errno, std::generic_category(), what);
}

bool isPowerOfTwo(std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }
} // namespace

std::size_t laneStride(std::uint32_t capacity) noexcept
{
    return kSamplesOffset + static_cast<std::size_t>(capacity) * sizeof(clab_sample);
}

std::size_t segmentSize(std::uint32_t lanes, std::uint32_t capacity) noexcept
{
    return CLAB_RING_HEADER_SIZE + static_cast<std::size_t>(lanes) * laneStride(capacity);
}

// ---- writer ---------------------------------------------------------------------------------

StatsLaneWriter::StatsLaneWriter(std::byte *lane, std::uint32_t capacity) noexcept
    : m_prod(reinterpret_cast<clab_lane_producer *>(lane + kProducerOffset))
    , m_cons(reinterpret_cast<clab_lane_consumer *>(lane + kConsumerOffset))
    , m_final(reinterpret_cast<clab_lane_final *>(lane + kFinalOffset))
    , m_hist(reinterpret_cast<std::uint64_t *>(lane + kHistOffset))
    , m_samples(reinterpret_cast<clab_sample *>(lane + kSamplesOffset))
    , m_mask(capacity - 1)
    , m_head(atomicRef(m_prod->head).load(std::memory_order_relaxed))
{
}

bool StatsLaneWriter::publish(const clab_sample &s) noexcept
{
    if (m_cachedFree == 0) {
        // Only now look at the consumers' cache lines: most publishes touch none of them.
        // The seq_cst read-modify-write of head (value unchanged) pairs with the seq_cst store of
        // `active` and load of head in StatsRingReader's constructor (store-buffer pattern): a
        // consumer that is joining is either seen active here, or it starts reading at or after
        // every slot this refill lets us overwrite. (A RMW, not a fence: TSan understands it.)
        atomicRef(m_prod->head).fetch_add(0, std::memory_order_seq_cst);
        const std::uint64_t capacity = static_cast<std::uint64_t>(m_mask) + 1;
        std::uint64_t minTail = m_head;
        for (std::uint32_t c = 0; c < CLAB_MAX_CONSUMERS; ++c) {
            if (atomicRef(m_cons[c].active).load(std::memory_order_seq_cst) != 0)
                minTail = std::min(minTail, atomicRef(m_cons[c].tail).load(std::memory_order_acquire));
        }
        // A joining consumer's provisional tail may lag by more than the capacity: that reads as
        // full (a drop), never as an unsigned wrap-around to "almost 2^64 slots free".
        const std::uint64_t used = m_head - minTail;
        m_cachedFree = used < capacity ? capacity - used : 0;
        if (m_cachedFree == 0) {
            auto drops = atomicRef(m_prod->drops);
            drops.store(drops.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
            return false;
        }
    }
    m_samples[m_head & m_mask] = s;
    ++m_head;
    --m_cachedFree;
    atomicRef(m_prod->head).store(m_head, std::memory_order_release);
    return true;
}

void StatsLaneWriter::setState(clab_worker_state s) noexcept
{
    atomicRef(m_prod->state).store(static_cast<std::uint32_t>(s), std::memory_order_relaxed);
}

void StatsLaneWriter::setIdentity(std::uint32_t index, int pid, int tid) noexcept
{
    atomicRef(m_prod->worker_index).store(index, std::memory_order_relaxed);
    atomicRef(m_prod->pid).store(pid, std::memory_order_relaxed);
    atomicRef(m_prod->tid).store(tid, std::memory_order_relaxed);
}

void StatsLaneWriter::noteCpu(int cpu) noexcept
{
    if (cpu < 0 || cpu >= 64)
        return;
    auto mask = atomicRef(m_prod->cpu_mask);
    const std::uint64_t bit = 1ULL << static_cast<unsigned>(cpu);
    const std::uint64_t old = mask.load(std::memory_order_relaxed);
    if ((old & bit) == 0)
        mask.store(old | bit, std::memory_order_relaxed);
}

void StatsLaneWriter::writeFinal(const clab_lane_final &f) noexcept
{
    // Copy every field but `valid` first, then publish with release.
    clab_lane_final copy = f;
    copy.valid = 0;
    std::memcpy(reinterpret_cast<std::byte *>(m_final) + sizeof(std::uint32_t),
                reinterpret_cast<const std::byte *>(&copy) + sizeof(std::uint32_t),
                sizeof(clab_lane_final) - sizeof(std::uint32_t));
    atomicRef(m_final->valid).store(1, std::memory_order_release);
}

// ---- segment --------------------------------------------------------------------------------

std::string StatsRing::uniqueName()
{
    unsigned char bytes[16];
    std::size_t got = 0;
    while (got < sizeof bytes) {
        const ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throwErrno("getrandom");
        }
        got += static_cast<std::size_t>(n);
    }
    std::string name = "/clab-" + std::to_string(getpid()) + "-";
    static constexpr char hex[] = "0123456789abcdef";
    for (unsigned char b : bytes) {
        name += hex[b >> 4];
        name += hex[b & 15];
    }
    return name;
}

StatsRing StatsRing::create(const std::string &name, std::uint32_t lanes, std::uint32_t capacity)
{
    if (lanes == 0 || lanes > CLAB_MAX_LANES)
        throw std::invalid_argument("stats ring: lane count must be 1.." + std::to_string(CLAB_MAX_LANES) + ", got " + std::to_string(lanes));
    if (!isPowerOfTwo(capacity) || capacity < 2)
        throw std::invalid_argument("stats ring: lane capacity must be a power of two >= 2, got " + std::to_string(capacity));
    const int fd = shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        throwErrno("stats ring: cannot create shared memory " + name);
    const std::size_t size = segmentSize(lanes, capacity);
    if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
        const int e = errno;
        close(fd);
        shm_unlink(name.c_str());
        errno = e;
        throwErrno("stats ring: cannot size shared memory " + name + " to " + std::to_string(size) + " bytes");
    }
    void *p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    const int e = errno;
    close(fd);
    if (p == MAP_FAILED) {
        shm_unlink(name.c_str());
        errno = e;
        throwErrno("stats ring: cannot map " + name);
    }
    StatsRing r;
    r.m_base = static_cast<std::byte *>(p);
    r.m_size = size;
    r.m_name = name;
    r.m_linked = true;
    auto *h = r.header();
    h->layout_version = CLAB_RING_LAYOUT_VERSION;
    h->header_size = CLAB_RING_HEADER_SIZE;
    h->lane_count = lanes;
    h->lane_capacity = capacity;
    h->sample_size = sizeof(clab_sample);
    h->hist_buckets = CLAB_HIST_BUCKETS;
    h->lane_stride = laneStride(capacity);
    h->segment_size = size;
    h->run_state = CLAB_RUN_CREATED;
    for (std::uint32_t i = 0; i < lanes; ++i)
        reinterpret_cast<clab_lane_producer *>(r.lane(i))->worker_index = i;
    atomicRef(h->magic).store(CLAB_RING_MAGIC, std::memory_order_release);
    return r;
}

StatsRing StatsRing::createAnonymous(std::uint32_t lanes, std::uint32_t capacity)
{
    StatsRing r = create(uniqueName(), lanes, capacity);
    r.unlink();
    return r;
}

StatsRing StatsRing::attach(const std::string &name)
{
    const int fd = shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0);
    if (fd < 0)
        throwErrno("stats ring: cannot open shared memory " + name);
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        const int e = errno;
        close(fd);
        errno = e;
        throwErrno("stats ring: cannot stat " + name);
    }
    auto fail = [&](const std::string &why) {
        close(fd);
        throw std::runtime_error("stats ring " + name + ": " + why);
    };
    if (st.st_uid != geteuid())
        fail("belongs to another user");
    if ((st.st_mode & 077) != 0)
        fail("is readable by other users (mode must be 0600)");
    if (static_cast<std::size_t>(st.st_size) < CLAB_RING_HEADER_SIZE)
        fail("too small to hold a header (" + std::to_string(st.st_size) + " bytes)");
    const auto size = static_cast<std::size_t>(st.st_size);
    void *p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        const int e = errno;
        close(fd);
        errno = e;
        throwErrno("stats ring: cannot map " + name);
    }
    close(fd);
    StatsRing r;
    r.m_base = static_cast<std::byte *>(p);
    r.m_size = size;
    r.m_name = name;
    r.m_linked = true;
    const auto *h = r.header();
    std::string why;
    if (atomicRef(r.header()->magic).load(std::memory_order_acquire) != CLAB_RING_MAGIC)
        why = "not a stats ring (bad magic)";
    else if (h->layout_version != CLAB_RING_LAYOUT_VERSION)
        why = "layout version " + std::to_string(h->layout_version) + ", this build reads " + std::to_string(CLAB_RING_LAYOUT_VERSION);
    else if (h->header_size != CLAB_RING_HEADER_SIZE || h->sample_size != sizeof(clab_sample) || h->hist_buckets != CLAB_HIST_BUCKETS)
        why = "header, sample or histogram size differs from this build's";
    else if (h->lane_count == 0 || h->lane_count > CLAB_MAX_LANES || !isPowerOfTwo(h->lane_capacity))
        why = "bad lane count or capacity";
    else if (h->lane_stride != laneStride(h->lane_capacity) || h->segment_size != size || segmentSize(h->lane_count, h->lane_capacity) != size)
        why = "sizes do not add up";
    if (!why.empty()) {
        r.m_linked = false; // not ours to remove
        throw std::runtime_error("stats ring " + name + ": " + why);
    }
    return r;
}

StatsRing::StatsRing(StatsRing &&o) noexcept
    : m_base(std::exchange(o.m_base, nullptr))
    , m_size(std::exchange(o.m_size, 0))
    , m_name(std::move(o.m_name))
    , m_linked(std::exchange(o.m_linked, false))
{
}

StatsRing &StatsRing::operator=(StatsRing &&o) noexcept
{
    if (this != &o) {
        if (m_base)
            munmap(m_base, m_size);
        m_base = std::exchange(o.m_base, nullptr);
        m_size = std::exchange(o.m_size, 0);
        m_name = std::move(o.m_name);
        m_linked = std::exchange(o.m_linked, false);
    }
    return *this;
}

StatsRing::~StatsRing()
{
    if (m_base)
        munmap(m_base, m_size);
}

bool StatsRing::unlink() noexcept
{
    if (!m_linked || m_name.empty())
        return false;
    m_linked = false;
    return shm_unlink(m_name.c_str()) == 0;
}

std::byte *StatsRing::lane(std::uint32_t i) const noexcept
{
    return m_base + CLAB_RING_HEADER_SIZE + static_cast<std::size_t>(i) * header()->lane_stride;
}

StatsLaneWriter StatsRing::writer(std::uint32_t laneIndex) const noexcept
{
    return StatsLaneWriter(lane(laneIndex), capacity());
}

void StatsRing::resetLaneStats(std::uint32_t laneIndex) noexcept
{
    std::byte *l = lane(laneIndex);
    auto *prod = reinterpret_cast<clab_lane_producer *>(l + kProducerOffset);
    auto *fin = reinterpret_cast<clab_lane_final *>(l + kFinalOffset);
    auto *hist = reinterpret_cast<std::uint64_t *>(l + kHistOffset);
    atomicRef(fin->valid).store(0, std::memory_order_release);
    atomicRef(prod->drops).store(0, std::memory_order_relaxed);
    atomicRef(prod->cpu_mask).store(0, std::memory_order_relaxed);
    atomicRef(prod->state).store(CLAB_WORKER_CREATED, std::memory_order_relaxed);
    for (std::uint32_t b = 0; b < CLAB_HIST_BUCKETS; ++b)
        atomicRef(hist[b]).store(0, std::memory_order_relaxed);
}

void StatsRing::setRunState(clab_run_state s) noexcept
{
    atomicRef(header()->run_state).store(static_cast<std::uint32_t>(s), std::memory_order_release);
}

clab_run_state StatsRing::runState() const noexcept
{
    return static_cast<clab_run_state>(atomicRef(header()->run_state).load(std::memory_order_acquire));
}

// ---- reader ---------------------------------------------------------------------------------

StatsRingReader::StatsRingReader(const StatsRing &ring, std::uint32_t consumer)
    : m_ring(ring)
    , m_consumer(consumer)
    , m_lanes(ring.laneCount())
    , m_mask(ring.capacity() - 1ULL)
{
    if (consumer >= CLAB_MAX_CONSUMERS)
        throw std::invalid_argument("stats ring: consumer slot must be < " + std::to_string(CLAB_MAX_CONSUMERS));
    for (std::uint32_t i = 0; i < m_lanes; ++i) {
        std::byte *lane = m_ring.lane(i);
        auto *prod = reinterpret_cast<clab_lane_producer *>(lane);
        auto *cons = reinterpret_cast<clab_lane_consumer *>(lane + kConsumerOffset) + m_consumer;
        // Announce ourselves with a provisional tail, then start at a head read after the
        // announcement: a producer that did not see us refilled its free slots from a head at or
        // before that one, so it cannot overwrite what we read (see StatsLaneWriter::publish).
        // What was published before we joined is not ours to read.
        atomicRef(cons->tail).store(atomicRef(prod->head).load(std::memory_order_acquire), std::memory_order_relaxed);
        atomicRef(cons->active).store(1, std::memory_order_seq_cst);
        atomicRef(cons->tail).store(atomicRef(prod->head).load(std::memory_order_seq_cst), std::memory_order_release);
    }
}

StatsRingReader::~StatsRingReader()
{
    for (std::uint32_t i = 0; i < m_lanes; ++i) {
        auto *cons = reinterpret_cast<clab_lane_consumer *>(m_ring.lane(i) + kConsumerOffset) + m_consumer;
        atomicRef(cons->active).store(0, std::memory_order_release);
    }
}

const clab_sample *StatsRingReader::samplesOf(std::byte *lane) const noexcept
{
    return reinterpret_cast<const clab_sample *>(lane + kSamplesOffset);
}

std::uint64_t StatsRingReader::sizeGuess(std::uint32_t i) const noexcept
{
    std::byte *lane = m_ring.lane(i);
    auto *prod = reinterpret_cast<clab_lane_producer *>(lane);
    auto *cons = reinterpret_cast<clab_lane_consumer *>(lane + kConsumerOffset) + m_consumer;
    const std::uint64_t head = atomicRef(prod->head).load(std::memory_order_relaxed);
    const std::uint64_t tail = atomicRef(cons->tail).load(std::memory_order_relaxed);
    return head >= tail ? head - tail : 0;
}

std::uint64_t StatsRingReader::drops(std::uint32_t i) const noexcept
{
    return atomicRef(reinterpret_cast<clab_lane_producer *>(m_ring.lane(i))->drops).load(std::memory_order_relaxed);
}

clab_worker_state StatsRingReader::workerState(std::uint32_t i) const noexcept
{
    return static_cast<clab_worker_state>(
        atomicRef(reinterpret_cast<clab_lane_producer *>(m_ring.lane(i))->state).load(std::memory_order_relaxed));
}

std::uint64_t StatsRingReader::cpuMask(std::uint32_t i) const noexcept
{
    return atomicRef(reinterpret_cast<clab_lane_producer *>(m_ring.lane(i))->cpu_mask).load(std::memory_order_relaxed);
}

LatencyHistogram StatsRingReader::histogram(std::uint32_t i) const noexcept
{
    LatencyHistogram h;
    auto *src = reinterpret_cast<std::uint64_t *>(m_ring.lane(i) + kHistOffset);
    for (std::uint32_t b = 0; b < CLAB_HIST_BUCKETS; ++b)
        h.counts[b] = atomicRef(src[b]).load(std::memory_order_relaxed);
    return h;
}

bool StatsRingReader::final(std::uint32_t i, clab_lane_final &out) const noexcept
{
    auto *f = reinterpret_cast<clab_lane_final *>(m_ring.lane(i) + kFinalOffset);
    if (atomicRef(f->valid).load(std::memory_order_acquire) == 0)
        return false;
    std::memcpy(&out, f, sizeof out);
    return true;
}

} // namespace clab
