// The operation workload: the memory walk's buffer and the runner-side check of what it asks for.
#include "workload.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <sys/mman.h>

namespace clab {

namespace {

std::string bytesText(std::uint64_t b)
{
    char buf[64];
    if (b >= (1ULL << 30))
        std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(b) / static_cast<double>(1ULL << 30));
    else if (b >= (1ULL << 20))
        std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / static_cast<double>(1ULL << 20));
    else
        std::snprintf(buf, sizeof buf, "%" PRIu64 " bytes", b);
    return buf;
}

// MemAvailable from /proc/meminfo, in bytes; 0 when it cannot be read.
std::uint64_t memAvailable()
{
    std::FILE *f = std::fopen("/proc/meminfo", "re");
    if (!f)
        return 0;
    char line[256];
    std::uint64_t kb = 0;
    while (std::fgets(line, sizeof line, f)) {
        if (std::sscanf(line, "MemAvailable: %" SCNu64 " kB", &kb) == 1)
            break;
    }
    std::fclose(f);
    return kb * 1024;
}

} // namespace

std::string checkWorkload(const ExperimentSpec &spec)
{
    const Workload &w = spec.workload;
    if (w.memoryBytes == 0)
        return {};
    if (w.memoryStride == 0)
        return "workload.memoryStride: must be at least 1 byte";
    if (w.memoryBufferBytes < w.memoryStride)
        return "workload.memoryBuffer: the buffer (" + bytesText(w.memoryBufferBytes) +
               ") must be at least one stride (workload.memoryStride = " + bytesText(w.memoryStride) + ")";
    // Sequential execution runs one worker body at a time, and each frees its buffer at the end.
    const std::uint64_t holders = spec.execution == ExecutionModel::Sequential ? 1 : spec.workers;
    const std::uint64_t need = holders * w.memoryBufferBytes;
    const std::uint64_t avail = memAvailable();
    if (avail != 0 && need > avail) {
        return "workload.memoryBuffer: " + std::to_string(holders) + " worker buffer(s) of " +
               bytesText(w.memoryBufferBytes) + " need " + bytesText(need) + ", more than this machine has available (" +
               bytesText(avail) + ", MemAvailable in /proc/meminfo)";
    }
    return {};
}

MemoryWalk::~MemoryWalk()
{
    if (m_buf)
        munmap(m_buf, m_size);
}

int MemoryWalk::prepare(const Workload &w) noexcept
{
    if (w.memoryBytes == 0 || w.memoryStride == 0 || w.memoryBufferBytes < w.memoryStride)
        return w.memoryBytes == 0 ? 0 : EINVAL;
    m_size = static_cast<std::size_t>(w.memoryBufferBytes);
    m_stride = w.memoryStride;
    void *p = mmap(nullptr, m_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) {
        m_size = 0;
        return errno;
    }
    m_buf = static_cast<unsigned char *>(p);
    m_storesPerOp = (w.memoryBytes + m_stride - 1) / m_stride;
    m_bytesPerOp = w.memoryBytes;
    return 0;
}

std::uint64_t MemoryWalk::countWrittenBytes() const noexcept
{
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < m_size; ++i)
        n += m_buf[i] != 0 ? 1U : 0U;
    return n;
}

OperationWork::OperationWork(const Workload &w, const CalibratedWork &cal, std::uint64_t seed) noexcept
    : m_workload(w)
    , m_cpuUnits(cal.unitsFor(w.cpuWorkNs))
    , m_sliceUnits(std::max<std::uint64_t>(1, cal.unitsFor(kSliceNs)))
    , m_seed(seed)
{
}

} // namespace clab
