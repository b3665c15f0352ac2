// The message-passing experiment: pairs of workers exchange messages over one IPC transport.
//
// Worker 2k and worker 2k+1 form a pair. Ping-pong: 2k sends a message, 2k+1 receives it and
// sends it back (an echo), 2k times the round trip. Streaming: 2k sends as fast as it can, 2k+1
// receives. Receivers check what arrives: every message carries its sequence number at both
// ends, and one in kFullCheckEvery is compared byte for byte with what was sent.
//
// The transports and how a receiver waits for a message (its wake strategy):
//   pipe, fifo           blocking read()/write() in the kernel
//   posix-mq, sysv-mq    blocking mq_receive()/msgrcv() in the kernel
//   unix-stream/-dgram   blocking recv()/send() on a socketpair
//   shm-channel          a ring in shared memory (shm_channel.h); blocking = futex sleep, woken
//                        only when the receiver sleeps; spinning = busy-wait with pause
//
// Named objects (FIFOs, POSIX queue names) are removed in init() as soon as the runner has
// opened them; System V queues, which have no name to remove early, are removed in cleanup(),
// and a janitor process forked in init() removes whatever is left if the runner is killed.
// The kernel objects live in the runner and are inherited by forked workers.
//
// Gauge 0 of every worker is the queue depth: the messages waiting in the pair's forward channel
// (2k → 2k+1), read by both sides each time they publish a sample (FIONREAD, mq_curmsgs,
// msg_qnum, head − tail), never per message; unix-dgram has no such count and publishes none.
//
// Ending: a worker that leaves its loop tells its peer "bye" (it publishes in shared memory how
// many messages it sent, then sends one more). The order never has both directions waiting in a
// send, which would deadlock once a message is larger than a channel's buffer: the initiator says
// bye and reads until the responder's bye; the responder answers pings until the initiator's bye,
// then says bye; a streaming receiver reads until the sender's bye. So a pair ends with nothing
// in flight and the totals of both sides add up.
// A peer may die instead (processes mode); then a watcher thread in the survivor interrupts its
// blocking call (a signal without SA_RESTART, plus a flag spinning waits look at) once the runner
// has said Stop and kPeerGraceNs has passed, and the survivor ends with its figures and a failed
// "ended cleanly" check. The watcher runs in threads mode too, as a bound on any wait after Stop.
#pragma once

#include "experiment_family.h"

#include <cstdint>

namespace clab {

// The machine's IPC limits as the kernel reports them (-1: could not be read).
struct IpcLimits {
    long mqMsgMax = -1;         // /proc/sys/fs/mqueue/msg_max
    long mqMsgsizeMax = -1;     // /proc/sys/fs/mqueue/msgsize_max
    long mqMsgDefault = -1;     // /proc/sys/fs/mqueue/msg_default
    long mqQueuesMax = -1;      // /proc/sys/fs/mqueue/queues_max
    std::uint64_t mqBytesRlimit = 0; // RLIMIT_MSGQUEUE (soft), bytes per user
    long sysvMsgMax = -1;       // /proc/sys/kernel/msgmax: bytes per message
    long sysvMsgMnb = -1;       // /proc/sys/kernel/msgmnb: bytes per queue
    long pipeMaxSize = -1;      // /proc/sys/fs/pipe-max-size
    long wmemMax = -1;          // /proc/sys/net/core/wmem_max
    long wmemDefault = -1;      // /proc/sys/net/core/wmem_default
    long unixMaxDgramQlen = -1; // /proc/sys/net/unix/max_dgram_qlen
};
IpcLimits readIpcLimits();

// Bytes of RLIMIT_MSGQUEUE one POSIX queue is charged, as Linux counts them (mq_attr_ok and
// mqueue_get_inode: messages, their headers and the priority tree).
std::uint64_t posixMqCharge(std::uint64_t maxMessages, std::uint64_t messageSize);

// One in this many messages is compared byte for byte by its receiver (all are checked at both
// ends for their sequence number).
inline constexpr std::uint32_t kFullCheckEvery = 16;
// Round trips through the spinning shared-memory channel are timed one in this many (with this
// weight): two timestamps cost about 7 % of its sub-microsecond round trip. Every other transport
// (the blocking channel included) times each one.
inline constexpr std::uint64_t kShmTimingSampleEvery = 16;

} // namespace clab
