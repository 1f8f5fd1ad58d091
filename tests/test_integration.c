/*
 * test_integration.c — end-to-end scenarios with real, separate processes.
 *
 * Each scenario is a bash script in tests/integration/ that starts
 * servers and clients (Python, plain blocking sockets) with LD_PRELOAD set
 * only for them, in a private SIMNET_DIR and network, and checks what
 * they saw.  The script itself runs on the kernel (run_capture with
 * preload=0); it is told where the library is through SIMNET_LIB.  It
 * ends with a line "ok", or "FAIL: <reason>" and a non-zero exit.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* Per-script limit.  Most scripts take a second or two; the longest
 * (faults, faults_apps, epoll_lost_wakeup) 10-13 s alone, and twice that
 * beside another heavy one (Criterion runs two at a time here): faults
 * took 20.5 s next to epoll_lost_wakeup, and was killed at the old 25. */
#define SCRIPT_TIMEOUT_S 50

/* Last non-empty line of `out` (in place; `out` is modified). */
static const char *last_line(char *out)
{
    size_t n = strlen(out);
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    char *nl = strrchr(out, '\n');
    return nl ? nl + 1 : out;
}

static void run_scenario(const char *script)
{
    char *path = repo_path("tests/integration/%s", script);
    char *lib = repo_path("build/libsimnet.so");
    char abs_lib[PATH_MAX];
    cr_assert(access(path, R_OK) == 0, "scenario missing: %s", path);
    cr_assert(realpath(lib, abs_lib) != NULL, "library not built: %s", lib);
    cr_assert(access("/bin/bash", X_OK) == 0, "bash is needed");
    /* The script passes it to the programs it preloads; run_capture only
     * strips LD_PRELOAD and SIMNET_NETWORK/SIMNET_DIR. */
    setenv("SIMNET_LIB", abs_lib, 1);

    char *argv[] = { "/bin/bash", path, NULL };
    char *out;
    size_t len;
    int st = run_capture(argv, 0, NULL, SCRIPT_TIMEOUT_S, &out, &len);
    /* A scenario that retried a known intermittent failure says so on a
     * line "retried: ..."; shown even when it passed. */
    for (const char *r = out; (r = strstr(r, "retried: ")) != NULL; r++)
        if (r == out || r[-1] == '\n')
            cr_log_warn("integration/%s: %.*s", script, (int)strcspn(r, "\n"), r);
    /* One that could run only part of its checks here says so on a line
     * "skipped: ..." (faults_netem without sch_netem): shown, but neither
     * a skipped test nor a warning (Criterion's exit status counts
     * warnings). */
    for (const char *r = out; (r = strstr(r, "skipped: ")) != NULL; r++)
        if (r == out || r[-1] == '\n')
            fprintf(stderr, "[PART] integration/%s: %.*s\n", script, (int)strcspn(r, "\n"), r);
    char *copy = strdup(out);
    const char *last = last_line(copy);
    if (st == 0 && strcmp(last, "skip") == 0) {
        /* the line before says why (no root, no netem...) */
        fprintf(stderr, "integration/%s: skipped:\n%s", script, out);
        free(copy);
        free(out);
        free(lib);
        free(path);
        cr_skip_test("integration/%s skipped (see its output)", script);
    }
    int good = st == 0 && strcmp(last, "ok") == 0;
    if (!good)
        fprintf(stderr, "\n==== integration/%s: %s ====\n%s\n", script,
                run_status_str(st), out);
    cr_assert(good, "integration/%s: %s, last line \"%s\" (output above)",
              script, run_status_str(st), last);
    free(copy);
    free(out);
    free(lib);
    free(path);
}

#define SCENARIO(name) \
    Test(integration, name, .timeout = 60) { run_scenario(#name ".sh"); }

/* 1: 1 MiB TCP echo between two processes, 127.0.0.1 and ::1 (sha256). */
SCENARIO(tcp_echo_1mib)
/* 2: UDP echo of 1-, 1000- and 65507-byte datagrams, contents checked. */
SCENARIO(udp_echo)
/* 3: a simulated listener and connection are invisible to ss. */
SCENARIO(ss_invisible)
/* 4: kernel listener unreachable from inside; a simulated one on the
 *    same port coexists with it. */
SCENARIO(kernel_coexist)
/* 5: two networks listen on the same port; each client reaches its own. */
SCENARIO(two_networks)
/* 6: 32 client threads x 50 exchanges against one threaded server. */
SCENARIO(many_clients)
/* 7: SIMNET_FD_BASE=200 moves simulated fds (only) to >= 200. */
SCENARIO(fd_base)
/* 8: invalid SIMNET_NETWORK: one stderr line, ENETDOWN, no crash. */
SCENARIO(bad_network)
/* 9: server SIGKILLed under a client blocked in recv: EOF/ECONNRESET
 *    within 1 s, port bindable again within 1 s. */
SCENARIO(sigkill_server)

/* Real servers under the preload; each also checks that its port is not
 * in the kernel's `ss -ltn`.  Needs redis-server, redis-tools,
 * nginx-light, socat, curl (.ci/run installs them). */
/* 10: redis-server: redis-cli SET/GET, redis-benchmark -n 2000 set,get. */
SCENARIO(redis)
/* Named hosts: redis primary on db, replica on cache, client on app;
 * every host's 127.0.0.1:6379 private (simnet run --host). */
SCENARIO(redis_hosts)
/* Two hosts against two network namespaces joined by a veth pair: the
 * same probe prints the same (root; skipped otherwise). */
SCENARIO(two_hosts_diff)
/* Named hosts by name: curl on app -> nginx on web -> proxy_pass
 * http://api:8080 (python3 -m http.server on host api). */
SCENARIO(nginx_hosts)
/* Named hosts' names by every path: getent, hostname, Python, res_query,
 * AI_ADDRCONFIG, interface ioctls, Go's resolver, node, dig and host. */
SCENARIO(names_hosts)
/* Faults between hosts, changed live: partition stalls a transfer and
 * heal completes it intact, TCP_USER_TIMEOUT, held connects, one-way
 * partition, reset at both ends, seeded UDP loss, bad values. */
SCENARIO(faults)
/* Delay and rate: 50 ms each way gives round trips of 100-300 ms and a
 * connect of one round trip, blocking, with poll and with epoll, without
 * spinning; 4 MiB through 1 MiB/s takes >= 3.5 s. */
SCENARIO(faults_delay)
/* Toxiproxy's faults: refuse on one port of a host, datagram loss on one
 * port, the slicer (small reads, bytes intact, MSG_WAITALL fills, slices
 * delayed), slow close (the EOF >= D later, for recv, poll and epoll;
 * FIN_WAIT2's poll meanwhile). */
SCENARIO(faults_toxics)
/* Data due 0-100 us later wakes select, poll, epoll_wait and a blocking
 * recv when due: 1000 round trips each, none waits to its bound. */
SCENARIO(faults_wake)
/* Free when unused: with no fault, 1000 zero-timeout poll, select and
 * epoll_wait read the clock at most 2000 times (a counting shim); with a
 * delay, more (the look's time). */
SCENARIO(faults_free)
/* Rate and delay against the kernel on a veth pair between two
 * namespaces: a 2 MiB transfer through tbf, round trips through netem
 * agree (root; the delay part skipped, said aloud, without netem). */
SCENARIO(faults_netem)
/* netem's reorder of UDP datagrams: all arrive, the same seed gives the
 * same order in two runs and another seed another; --gap 5 sends every
 * fifth at once (as netem does on a veth pair, as root). */
SCENARIO(faults_reorder)
/* When TCP gives up under a partition: TCP_SYNCNT 1 connect (blocking,
 * and non-blocking via poll and SO_ERROR) and keepalive 1/1/2 end with
 * ETIMEDOUT after ~3 s; a listener sees a connection over 100 ms each
 * way half a round trip after the client's connect returns, and one
 * over a fast link before an earlier one over a slow link; compared
 * with Linux on a veth pair when root. */
SCENARIO(faults_timeouts)
/* Real programs under faults: a redis replica on a partitioned host
 * falls behind and catches up after heal with the same data;
 * redis-cli --latency on a 20 ms link; iperf3 through 8 mbit. */
SCENARIO(faults_apps)
/* SIMNET_DEBUG's fault lines (lost datagram with its rule, one hold per
 * connection, heal and reset from the command); simnet run --link,
 * --partition, --faults FILE (file:line errors, status 2). */
SCENARIO(faults_debug)
/* 11: nginx, 2 workers (nobody), sendfile: small and 1 MiB files
 *     byte for byte, keep-alive and 8 at once. */
SCENARIO(nginx)
/* 12: python3 -m http.server (dual-stack ::) with curl and urllib. */
SCENARIO(http_server)
/* 13: asyncio echo server and client, 8 connections, 127.0.0.1 and ::1. */
SCENARIO(asyncio_echo)
/* 14: socat TCP-LISTEN,fork EXEC:cat echoes 1 MiB to python and socat
 *     clients. */
SCENARIO(socat_fork)
/* 15: socketserver.ForkingTCPServer serves 50 simultaneous clients. */
SCENARIO(forking_server)

/* Process lifecycle. */
/* 16: 200 rounds of SIGKILL at a random moment: the other side sees
 *     EOF/ECONNRESET within 1 s, the port binds again within 1 s, and
 *     `simnet ls -n` shows nothing left over; under 20 s. */
SCENARIO(random_kill)
/* 16b: 500 rounds of SIGTERM/SIGKILL on a server that forks per
 *     connection, often inside fork(): the port binds again within 2 s
 *     every round (a reservation its maker left is reaped); under 20 s. */
SCENARIO(fork_kill)
/* 16c: a network's arena file goes with its last process (exit, a forked
 *     child last), after SIGKILL with the sweep (a new network, simnet
 *     ls); simnet run --keep keeps it; simnet rm refuses while in use. */
SCENARIO(network_cleanup)
/* 17: closerange(3, 1024) / os.close loop after making sockets, then
 *     still serving. */
SCENARIO(closerange)
/* 18: root drops to nobody before its first socket, then listens and
 *     serves. */
SCENARIO(setuid_nobody)
/* 19: inetd-style: cat with the accepted socket as stdin/stdout. */
SCENARIO(inetd_cat)
/* 20: SCM_RIGHTS to an unrelated process, sender's copy closed at once. */
SCENARIO(scm_rights)
/* 21: no CPU burnt while blocked 1 s in recv/accept/poll/select/epoll. */
SCENARIO(idle_cpu)

/* More real programs. */
/* 22: iperf3 server and client, a TCP and a UDP test. */
SCENARIO(iperf3)
/* 23: wrk against nginx (2 workers as nobody): every request answered. */
SCENARIO(wrk_nginx)
/* 24: dual-stack :: reached over 127.0.0.1 and [::1]; ::1-only refuses
 *     127.0.0.1. */
SCENARIO(dual_stack)
/* 24b: the network's nameserver: hand-made UDP queries to the resolv.conf
 *     nameserver, 8.8.8.8 and an IPv6 address get NXDOMAIN at once (from
 *     the address asked), localhost A/AAAA/PTR, FORMERR; DNS over TCP is
 *     refused; glibc's send pattern (probe dns_send) and node's c-ares
 *     resolver; a user's server on 127.0.0.1:53 comes first; dig is
 *     tried and reported (its raw sendmmsg needs the trap). */
SCENARIO(dns)
/* 25: the simnet launcher from the source tree and from
 *     `make install DESTDIR=... PREFIX=/usr`: run, --keep, -n, ls,
 *     --help, --version, usage errors. */
SCENARIO(launcher)
/* 26: SIMNET_SHARED=1 lets a root server and a nobody client started
 *     separately share a network; without it the network is private. */
SCENARIO(shared_users)
/* 27: daemon(3) after making a listener: the daemon serves a client. */
SCENARIO(daemon)

/* Memory. */
/* 28: the arena on a small tmpfs: no room for the arena gives one line
 *     and ENETDOWN; 200 connections x 200 KB on 4 MiB give ENOBUFS/ENOMEM
 *     and the debug log's line, never SIGBUS, and every byte reported
 *     sent arrives; the memory comes back once they close.  Root only. */
SCENARIO(full_fs)

/* Servers that change user before their first socket or in their
 * children.  Need root and the programs (.ci/run installs them); skipped
 * (with a message) when not root. */
/* 29: memcached -u nobody (changes user before its first socket): a root
 *     client stores and reads back values up to 512 KiB; not in ss. */
SCENARIO(memcached)
/* 30: setpriv, runuser (through a forking sh) and su start a python3
 *     server as nobody from a process in the network: root's client
 *     reaches it; a nobody process never in the network cannot join. */
SCENARIO(user_switch)
/* 31: postgres initialised and started as user postgres through setpriv,
 *     under `simnet run`: psql writes and reads back rows, pgbench -i and
 *     100 transactions; the network stays private (mode 0600). */
SCENARIO(postgres)
/* 32: sshd under `simnet run` (re-executed per connection; a chrooted
 *     child as user sshd with RLIMIT_NOFILE 1, whose seccomp filter the
 *     library refuses with EINVAL, speaks the protocol): ssh runs a
 *     command, scp copies 1 MiB both ways, key-only login; not in ss.
 *     Root only. */
SCENARIO(sshd)
/* 33: seccomp filters under the library: prctl(PR_SET_SECCOMP) and the
 *     seccomp system call through syscall(3) answer EINVAL, the process
 *     goes on and talks TCP, SIMNET_DEBUG says why; on the kernel (the
 *     control) the same filter kills the child with SIGSYS. */
SCENARIO(seccomp)

/* Regressions. */
/* 34: four epoll ping-pongs (maxevents=1, a kernel pipe in the set),
 *     300,000 rounds each, none stalls: a wake-up lost between the look
 *     at simulated sockets and the kernel's look (postgres hung in
 *     pgbench once in a few hundred runs). */
SCENARIO(epoll_lost_wakeup)
/* 35: in a network namespace with other TTL / hop-limit sysctls, the
 *     dgram_cmsg probe agrees with the kernel there (host defaults are
 *     read when the network is created). */
SCENARIO(host_sysctls)
/* 36: the trap across exec: a static program run by a preloaded shell
 *     says why on stderr and is stopped with SIGSYS at its socket call;
 *     `env -i` loses LD_PRELOAD and SIMNET_NETWORK and the exec puts them
 *     back; SIMNET_TRAP=0 catches nothing. */
SCENARIO(trap_exec)
/* 36b: the trap goes in lazily: no filter for a program that makes no
 *     inet socket; the first socket, getaddrinfo, res_query or raw
 *     syscall(SYS_socket) installs it (the raw socket is caught); Go
 *     programs and SIMNET_TRAP=always have it from the start. */
SCENARIO(trap_lazy)

/* Static executables and Go. */
/* 37: simnet run refuses a static executable (by path and through PATH)
 *     with one line and status 2; --allow-static runs it; dynamic C and
 *     Go programs, the dynamic loader and scripts still run. */
SCENARIO(static_refusal)
/* 38: a Go net/http server under simnet run, fetched by curl under simnet
 *     run: a page and 1 MiB; /quit; not in ss.  Needs the trap of calls
 *     that bypass libc (issue 12). */
SCENARIO(go_http)
/* 39: a Go RESP client under simnet run against redis-server:
 *     SET/GET/DEL, 800 INCRs pipelined over 8 connections.  Needs the
 *     trap too. */
SCENARIO(go_redis)
/* A Go client's connection churn (build/bench/go_echo -m conn), six runs
 * of 0.5 s: no connection may stall on an epoll edge lost between the
 * netpoller's threads. */
SCENARIO(go_churn)

/* Capture (tshark reads the files; .ci/run installs it). */
/* 40: simnet run --pcap: TCP both ways with half-close and with a reset,
 *     IPv4 and IPv6, UDP and ICMP port unreachable: follow,tcp,raw gives
 *     each side's bytes, conv,tcp the endpoints, no malformed packet or
 *     bad checksum. */
SCENARIO(pcap)
/* 41: curl and python3 -m http.server under simnet run --pcap: tshark
 *     -Y http shows the GET and the 200. */
SCENARIO(pcap_http)
/* 42: simnet capture -w - | tshark -r - while datagrams flow; --port;
 *     a second capture refused; SIGINT ends it with status 0. */
SCENARIO(pcap_live)
/* 43: SIMNET_PCAP=FILE with the bare preload: two programs one after the
 *     other in one file; the drainer leaves nothing behind. */
SCENARIO(pcap_env)
/* 44: simnet capture --host NAME: db's exchange with app, both ways, with
 *     the hosts' addresses, and nothing of web's own loopback; an unknown
 *     host is one line and status 2. */
SCENARIO(pcap_hosts)
