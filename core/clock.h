/* The one monotonic clock of core: time stamps of due times, stalls,
 * TIME_WAIT and the like are all CLOCK_MONOTONIC nanoseconds, read here
 * (POSIX, so no *_linux.c).  Inline: the fault paths read it per send. */
#ifndef SN_CLOCK_H
#define SN_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t sn_mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

#endif
