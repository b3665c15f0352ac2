// Process-shared futex wait/wake on a 32-bit word (works across fork in MAP_SHARED memory).
#pragma once

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <ctime>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace clab {

// Blocks while *word == expected (or until timeout / a spurious wake-up). Not FUTEX_PRIVATE:
// the word may live in memory shared between processes.
inline int futexWait(std::atomic<std::uint32_t> &word, std::uint32_t expected, const timespec *timeout = nullptr) noexcept
{
    static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
    return static_cast<int>(syscall(SYS_futex, reinterpret_cast<std::uint32_t *>(&word), FUTEX_WAIT, expected, timeout, nullptr, 0));
}

inline int futexWakeAll(std::atomic<std::uint32_t> &word) noexcept
{
    return static_cast<int>(syscall(SYS_futex, reinterpret_cast<std::uint32_t *>(&word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0));
}

} // namespace clab
