/*
 * test_diff.c — differential tests: every probe in tests/probes/ (C) and
 * every Go program in tests/go/ named below is run once on the real kernel
 * and once under libsimnet (LD_PRELOAD in the child only), and the two
 * transcripts must be identical.
 *
 * The kernel run is the expectation; nothing here is written by hand.  A
 * transcript is the probe's combined stdout+stderr followed by its exit
 * status, so a crash or a hang under the simulation is a mismatch too.
 * A probe that does not exit 0 on the kernel is reported as broken
 * (environment or probe bug) rather than as a simulation failure.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* Per-run limit; probes finish in about a second (they also arm
 * alarm(10) themselves), so this only matters for a wedged run. */
#define RUN_TIMEOUT_S 30

static char *transcript(const char *out, int status)
{
    char *t;
    size_t n = strlen(out);
    const char *nl = (n && out[n - 1] != '\n') ? "\n" : "";
    if (asprintf(&t, "%s%s[%s]\n", out, nl, run_status_str(status)) < 0)
        abort();
    return t;
}

/* dir: where the program is built ("probes", "go"). */
static void diff_program(const char *dir, const char *name)
{
    char *probe = repo_path("build/%s/%s", dir, name);
    char *lib = repo_path("build/libsimnet.so");
    cr_assert(access(probe, X_OK) == 0, "probe not built: %s", probe);
    cr_assert(access(lib, R_OK) == 0, "library not built: %s", lib);

    char *argv[] = { probe, NULL };
    char *kout, *sout;
    size_t klen, slen;

    int kst = run_capture(argv, RUN_ORACLE, NULL, RUN_TIMEOUT_S, &kout, &klen);
    cr_assert_eq(kst, 0, "probe %s is broken on the real kernel (%s):\n%s",
                 name, run_status_str(kst), kout);

    char *net = unique_network(name);
    int sst = run_capture(argv, 1, net, RUN_TIMEOUT_S, &sout, &slen);

    char *kt = transcript(kout, kst);
    char *st = transcript(sout, sst);
    if (strcmp(kt, st) != 0) {
        char *d = text_diff("kernel", kt, "simnet", st);
        /* Criterion only prints the assertion message, so the readable
         * diff goes to stderr first. */
        fprintf(stderr, "\n==== %s: simulation differs from kernel ====\n%s\n",
                name, d);
        free(d);
    }
    cr_assert_str_eq(st, kt, "probe %s: simnet output differs from kernel "
                     "(unified diff printed above)", name);

    free(kt);
    free(st);
    free(kout);
    free(sout);
    free(net);
    free(lib);
    free(probe);
}

#define DIFF_TEST(name) \
    Test(diff, name, .timeout = 120) { diff_program("probes", #name); }

/* Go programs make their system calls without libc (issue 12): under the
 * library they are simulated only through the trap of what bypasses
 * libc; the isolated pass is what shows that nothing reached the kernel. */
#define GO_DIFF_TEST(name) \
    Test(go, name, .timeout = 120) { diff_program("go", #name); }

DIFF_TEST(tcp_basic)
DIFF_TEST(tcp_errors)
DIFF_TEST(tcp_eof_reset)
DIFF_TEST(tcp_reset_partial)
DIFF_TEST(tcp_shutdown)
DIFF_TEST(tcp_nonblock)
DIFF_TEST(tcp_backlog)
DIFF_TEST(tcp_peek_waitall)
DIFF_TEST(tcp_urgent)
DIFF_TEST(tcp_bigtransfer)
DIFF_TEST(udp_basic)
DIFF_TEST(udp_errors)
DIFF_TEST(udp_connected)
DIFF_TEST(udp_pktinfo)
DIFF_TEST(v6_dualstack)
DIFF_TEST(sockopts)
DIFF_TEST(names)
DIFF_TEST(fdops)
DIFF_TEST(iovecs)
DIFF_TEST(timeouts)
DIFF_TEST(eintr)
DIFF_TEST(bad_pointers)
DIFF_TEST(sigpipe)
DIFF_TEST(ready_poll_tcp)
DIFF_TEST(ready_poll_udp)
DIFF_TEST(ready_mixed)
DIFF_TEST(ready_epoll_basic)
DIFF_TEST(ready_epoll_ctl)
DIFF_TEST(ready_epoll_nest)
DIFF_TEST(ready_epoll_many)
DIFF_TEST(ready_peer_death)
DIFF_TEST(cancel)
DIFF_TEST(prefork_accept)
DIFF_TEST(signal_handlers)
DIFF_TEST(exec_handdown)
DIFF_TEST(errno_kept)
/* Root only (CI); otherwise both sides say so. */
DIFF_TEST(chroot_setuid)
/* RLIMIT_NOFILE lowered below a new fd (and to 1) while holding a
 * connection: poll, select, recv keep working, peer death is seen. */
DIFF_TEST(fd_limit)
/* The trap: raw system calls and stdio on sockets, signals around them. */
DIFF_TEST(trap_raw)
DIFF_TEST(trap_signals)
DIFF_TEST(bind_accepted)
DIFF_TEST(resvport)
DIFF_TEST(tcp_info)
DIFF_TEST(udplite)
DIFF_TEST(dgram_cmsg)
/* The seeded random walk over the socket API (seeds 1-12, 150 calls
 * each); run more by hand: FUZZ_SEEDS=1-300 build/probes/fuzz_api. */
DIFF_TEST(fuzz_api)

/* Go (tests/go/NAME/main.go, built by `make go`). */
/* 8 goroutine clients of an echo server over 127.0.0.1 and ::1; Accept,
 * Read (silent peer, past deadline, set while blocked) and Write
 * deadlines are timeouts; half-close; a refused dial. */
GO_DIFF_TEST(tcp_echo)
/* Datagrams up to the largest over 127.0.0.1 and ::1, EMSGSIZE above;
 * connected and unconnected; a read deadline; ECONNREFUSED. */
GO_DIFF_TEST(udp_echo)
/* net/http server and client: GET, POST 1 MiB, keep-alive, 16 at once,
 * a client timeout, Shutdown. */
GO_DIFF_TEST(http)
/* The pure-Go resolver: localhost from /etc/hosts; an unknown name fails
 * within 3 s. */
GO_DIFF_TEST(lookup)
/* GOMAXPROCS 4, 64 goroutines blocked in Read while timers drive a writer
 * and runtime.GC() preempts spinning goroutines (SIGURG); read deadlines
 * and EOF end them. */
GO_DIFF_TEST(stress)
