/* Unit tests of lifetimes in core/procs.c and arena.c: reservations
 * made for a child in fork() whose maker died.  A forked helper process plays the maker: it marks
 * and reserves an entry and holds the test's listener in it, as
 * preload/process.c does before fork(), then dies without claiming.
 * The port must come free (bind sweeps gone processes) unless a process
 * that inherited the marker -- the child, born but not yet claimed --
 * is alive, in which case the child owns the entry.  And a network file
 * goes with its last process, stays when kept, goes at a sweep once its
 * processes were killed. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/holders.h"
#include "core/procs.h"
#include "core/reap.h"
#include "tests/test_core_util.h"

TC_ARENA_FIXTURE(A)

TestSuite(core_procs, .init = setup, .fini = teardown, .timeout = 10);

static int tcp_listener(int port)
{
    int l = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(l, 0);
    int one = 1;
    cr_assert_eq(sn_sock_setopt(&A, l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    cr_assert_eq(tc_bind4(&A, l, "127.0.0.1", port), 0);
    cr_assert_eq(sn_sock_listen(&A, l, 8), 0);
    return l;
}

/* Can a new listener take the port?  (Closes it again.) */
static int bind_again(int port)
{
    int s = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(s, 0);
    int one = 1;
    sn_sock_setopt(&A, s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int r = tc_bind4(&A, s, "127.0.0.1", port);
    if (r == 0)
        r = sn_sock_listen(&A, s, 1);
    sn_sock_release(&A, s);
    return r;
}

/* In the maker: reserve an entry holding socket l, as our fork() does;
 * returns the entry, its marker fd in *marker (-1 with_marker false). */
static int reserve_holding(int l, bool with_marker, int *marker)
{
    uint32_t mark = 0;
    *marker = with_marker ? sn_procs_mark(&A, &mark) : -1;
    if (with_marker && *marker < 0)
        _exit(20);
    sn_ctl_lock(&A);
    int e = sn_reap_entry(&A);
    if (e >= 0) {
        sn_procs_mark_reserved(&A, e, mark);
        sn_sock_set_holder(sn_sock_at(&A, l), e);
    }
    sn_ctl_unlock(&A);
    if (e < 0)
        _exit(21);
    return e;
}

static void reap_child(pid_t pid)
{
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
}

/* The maker dies before the child exists (killed inside fork()): the
 * reservation goes with it, and the port comes free. */
static void maker_dies_unforked(bool with_marker)
{
    int l = tcp_listener(7001);
    int pipefd[2];
    cr_assert_eq(pipe(pipefd), 0);
    pid_t maker = fork();
    cr_assert_neq(maker, -1);
    if (maker == 0) {
        int marker;
        int e = reserve_holding(l, with_marker, &marker);
        if (write(pipefd[1], &e, sizeof e) != sizeof e)
            _exit(22);
        pause();                    /* killed here, "inside fork()" */
        _exit(23);
    }
    int e = -1;
    cr_assert_eq(read(pipefd[0], &e, sizeof e), (ssize_t)sizeof e);
    cr_assert_eq(A.procs[e].pid, -1);
    /* While the maker lives the reservation is wanted. */
    cr_assert_not(sn_proc_gone(&A, e));
    cr_assert(sn_procs_alive(&A, e));
    sn_sock_release(&A, l);         /* ours goes; the reservation's stays */
    cr_assert_eq(bind_again(7001), -EADDRINUSE);
    kill(maker, SIGKILL);
    reap_child(maker);
    cr_assert(sn_proc_gone(&A, e));
    cr_assert_eq(bind_again(7001), 0, "the dead maker's reservation kept the port");
    cr_assert_eq(A.procs[e].pid, 0, "the reservation was not freed");
    close(pipefd[0]);
    close(pipefd[1]);
}

Test(core_procs, reservation_of_a_maker_killed_in_fork_is_reaped)
{
    maker_dies_unforked(true);
}

/* Without a marker (socket() failed) the maker's pid is watched. */
Test(core_procs, reservation_without_marker_follows_its_maker)
{
    maker_dies_unforked(false);
}

/* The maker dies after the child exists but before anyone wrote the
 * child's pid: the child (holding the inherited marker) still owns the
 * entry -- nothing is reaped, the port stays its -- and claims it. */
Test(core_procs, child_born_before_its_maker_died_keeps_the_entry)
{
    int l = tcp_listener(7002);
    int up[2], go[2];
    cr_assert_eq(pipe(up), 0);
    cr_assert_eq(pipe(go), 0);
    pid_t maker = fork();
    cr_assert_neq(maker, -1);
    if (maker == 0) {
        int marker;
        int e = reserve_holding(l, true, &marker);
        pid_t child = fork();       /* inherits the marker */
        if (child < 0)
            _exit(24);
        if (child == 0) {
            alarm(8);               /* never outlive a failed test */
            char c;
            if (write(up[1], &e, sizeof e) != sizeof e || read(go[0], &c, 1) != 1)
                _exit(25);
            sn_ctl_lock(&A);
            sn_procs_claim(&A, e, getpid(), 0);
            sn_ctl_unlock(&A);
            sn_procs_unmark(&A, e, marker);
            if (write(up[1], &e, sizeof e) != sizeof e || read(go[0], &c, 1) != 1)
                _exit(26);
            _exit(0);
        }
        _exit(0);                   /* dies before writing the child's pid */
    }
    reap_child(maker);
    int e = -1;
    cr_assert_eq(read(up[0], &e, sizeof e), (ssize_t)sizeof e);
    cr_assert_eq(A.procs[e].pid, -1);
    sn_sock_release(&A, l);
    cr_assert_not(sn_proc_gone(&A, e), "a reservation whose child lives was found gone");
    cr_assert_eq(bind_again(7002), -EADDRINUSE, "the unclaimed child lost its listener");
    cr_assert_eq(A.procs[e].pid, -1);
    cr_assert_eq(write(go[1], "c", 1), 1);      /* claim */
    cr_assert_eq(read(up[0], &e, sizeof e), (ssize_t)sizeof e);
    cr_assert_gt(A.procs[e].pid, 0);
    cr_assert_eq(bind_again(7002), -EADDRINUSE, "the claimed child lost its listener");
    cr_assert_eq(write(go[1], "x", 1), 1);      /* exit */
    /* Not our child: wait for it to be gone (it was reparented). */
    for (int i = 0; i < 500 && !sn_proc_gone(&A, e); i++)
        usleep(2000);
    cr_assert_eq(bind_again(7002), 0, "the child's exit did not free the port");
}

/* ================= networks leave nothing behind ================= */

static char dir_tmpl[] = "/tmp/sn-procs-XXXXXX";

static const char *arena_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s.arena", dir_tmpl, name);
    return buf;
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* A process joins `path`, says so on `ready` (a pipe), waits for a byte
 * on pause_fd (unless -1), then leaves as exit() would; the exit status
 * is 10 + what sn_net_leave returned. */
static int ready[2];

static void wait_ready(void)
{
    char c;
    cr_assert_eq(read(ready[0], &c, 1), 1);
}

static pid_t join_and_leave(const char *path, int pause_fd)
{
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        sn_arena a;
        char err[256];
        if (sn_net_open(&a, path, 0, SN_ARENA_CREATE | SN_ARENA_ATTACH, err, sizeof err) < 0)
            _exit(2);
        char c = 'r';
        if (write(ready[1], &c, 1) != 1)
            _exit(4);
        if (pause_fd >= 0 && read(pause_fd, &c, 1) != 1)
            _exit(3);
        _exit(10 + sn_net_leave(&a, path));
    }
    return pid;
}

static int status_of(pid_t pid)
{
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st));
    return WEXITSTATUS(st);
}

Test(core_procs, last_process_out_removes_the_file_kept_ones_stay)
{
    cr_assert_not_null(mkdtemp(dir_tmpl));
    char p[256], q[256];
    arena_path(p, sizeof p, "net");
    int go[2];
    cr_assert_eq(pipe(go), 0);
    cr_assert_eq(pipe(ready), 0);
    pid_t first = join_and_leave(p, go[0]);       /* stays until told */
    wait_ready();
    cr_assert(exists(p));
    cr_assert_eq(status_of(join_and_leave(p, -1)), 10, "left first, yet removed it");
    wait_ready();
    cr_assert(exists(p));
    cr_assert_eq(sn_net_remove_unused(p, true), 0, "rm removed a network in use");
    cr_assert_eq(write(go[1], "x", 1), 1);
    cr_assert_eq(status_of(first), 11, "the last one out did not remove it");
    cr_assert_not(exists(p));

    /* Kept: the last one out leaves it, a sweep spares it, rm takes it. */
    char err[256];
    arena_path(q, sizeof q, "kept");
    cr_assert_eq(sn_net_keep(q, err, sizeof err), 0, "%s", err);
    cr_assert_eq(status_of(join_and_leave(q, -1)), 10);
    wait_ready();
    cr_assert(exists(q));
    sn_net_sweep_dir(p);
    cr_assert(exists(q));
    cr_assert_eq(sn_net_remove_if_stale(q), 0);
    cr_assert_eq(sn_net_remove_unused(q, true), 1);
    cr_assert_not(exists(q));

    /* Killed (no leave): a sweep removes it. */
    pid_t k = join_and_leave(p, go[0]);
    wait_ready();
    kill(k, SIGKILL);
    waitpid(k, NULL, 0);
    cr_assert(exists(p));
    sn_net_sweep_dir(q);
    cr_assert_not(exists(p), "the sweep left a dead network");
    close(go[0]);
    close(go[1]);
    rmdir(dir_tmpl);
}
