// Names of the experiment's enumerations, spelled as in the file format.
#include "experiment_spec.h"

namespace clab {

const char *toString(ExecutionModel m)
{
    switch (m) {
    case ExecutionModel::Threads: return "threads";
    case ExecutionModel::Processes: return "processes";
    case ExecutionModel::Sequential: return "sequential";
    }
    return "?";
}

const char *toString(PlacementPolicy p)
{
    switch (p) {
    case PlacementPolicy::Unpinned: return "unpinned";
    case PlacementPolicy::SameCpu: return "same-cpu";
    case PlacementPolicy::Spread: return "spread";
    case PlacementPolicy::CpuList: return "cpu-list";
    }
    return "?";
}

const char *toString(PrimitiveKind k)
{
    switch (k) {
    case PrimitiveKind::LockContention: return "lock-contention";
    case PrimitiveKind::SharedValue: return "shared-value";
    case PrimitiveKind::MessagePassing: return "message-passing";
    case PrimitiveKind::Semaphore: return "semaphore";
    case PrimitiveKind::Event: return "event";
    case PrimitiveKind::Sync: return "sync";
    case PrimitiveKind::Work: return "work";
    case PrimitiveKind::Lifecycle: return "thread-lifecycle";
    }
    return "?";
}

const char *toString(Guard g)
{
    switch (g) {
    case Guard::None: return "none";
    case Guard::Mutex: return "mutex";
    case Guard::Spinlock: return "spinlock";
    case Guard::Atomic: return "atomic";
    }
    return "?";
}

const char *toString(ElementType t)
{
    switch (t) {
    case ElementType::Int32: return "int32";
    case ElementType::Int64: return "int64";
    case ElementType::Double: return "double";
    case ElementType::Char: return "char";
    }
    return "?";
}

const char *toString(Transport t)
{
    switch (t) {
    case Transport::Pipe: return "pipe";
    case Transport::Fifo: return "fifo";
    case Transport::PosixMq: return "posix-mq";
    case Transport::SysvMq: return "sysv-mq";
    case Transport::UnixStream: return "unix-stream";
    case Transport::UnixDgram: return "unix-dgram";
    case Transport::ShmChannel: return "shm-channel";
    }
    return "?";
}

const char *toString(MessagePattern p)
{
    switch (p) {
    case MessagePattern::PingPong: return "ping-pong";
    case MessagePattern::Streaming: return "streaming";
    }
    return "?";
}

const char *toString(WakeStrategy w)
{
    switch (w) {
    case WakeStrategy::Blocking: return "blocking";
    case WakeStrategy::Spinning: return "spinning";
    }
    return "?";
}

const char *toString(EventPattern p)
{
    switch (p) {
    case EventPattern::HandOff: return "hand-off";
    case EventPattern::Gate: return "gate";
    }
    return "?";
}

const char *toString(SyncKind k)
{
    switch (k) {
    case SyncKind::Mutex: return "mutex";
    case SyncKind::RecursiveMutex: return "recursive-mutex";
    case SyncKind::RwLock: return "rwlock";
    case SyncKind::Spinlock: return "spinlock";
    case SyncKind::CondVar: return "condvar";
    case SyncKind::Barrier: return "barrier";
    }
    return "?";
}

const char *toString(SemaphorePattern p)
{
    switch (p) {
    case SemaphorePattern::Gate: return "gate";
    case SemaphorePattern::PingPong: return "ping-pong";
    }
    return "?";
}

const char *toString(EventImplementation i)
{
    switch (i) {
    case EventImplementation::Futex: return "futex";
    case EventImplementation::CondVar: return "condvar";
    }
    return "?";
}

const char *toString(BarrierImplementation i)
{
    switch (i) {
    case BarrierImplementation::Pthread: return "pthread";
    case BarrierImplementation::Futex: return "futex";
    }
    return "?";
}

const char *toString(LifecycleMode m)
{
    switch (m) {
    case LifecycleMode::CreateJoin: return "create-join";
    case LifecycleMode::Daemon: return "daemon";
    }
    return "?";
}

} // namespace clab
