#include "preload/block.h"

#include <errno.h>
#include <sys/socket.h>
#include <time.h>

#include "core/sock.h"
#include "core/wait.h"
#include "preload/init.h"

bool sn_nonblocking(int slot, int msg_flags)
{
    return (msg_flags & MSG_DONTWAIT) ||
           (atomic_load(&sn_sock_at(sn_net(), slot)->opt) & SN_O_NONBLOCK);
}

ssize_t sn_block(int slot, bool nonblock, int64_t timeout_ns,
                 sn_try_fn try, void *ctx)
{
    ssize_t r = try(slot, ctx);
    if (r != -EAGAIN || nonblock)
        return r;
    sn_arena *a = sn_net();
    struct timespec deadline, *dl = NULL;
    if (timeout_ns > 0) {
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        int64_t ns = deadline.tv_nsec + timeout_ns;
        deadline.tv_sec += ns / 1000000000;
        deadline.tv_nsec = ns % 1000000000;
        dl = &deadline;
    }
    for (;;) {
        /* Register first, then look again: a change made after the look
         * moves seq, so the sleep below cannot miss it. */
        uint32_t seq = sn_wait_prepare(a, slot);
        r = try(slot, ctx);
        if (r != -EAGAIN) {
            sn_wait_done(a, slot);
            return r;
        }
        int w = sn_wait(a, slot, seq, dl);
        sn_wait_done(a, slot);
        if (w == -ETIMEDOUT)
            return -EAGAIN;
        if (w < 0)
            return w;
    }
}
