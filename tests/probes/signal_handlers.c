/*
 * signal_handlers — signal handlers that call socket functions (POSIX
 * makes socket, sendto, close, getsockname... async-signal-safe):
 *   - a thread sends SIGUSR1 to the main thread every few microseconds
 *     while the main thread runs socket calls (TCP send/recv, UDP recv,
 *     socket+close, poll, epoll); the handler sends a numbered datagram,
 *     opens and closes a socket and asks a socket's name.  Nothing may
 *     hang, every datagram the handler sent arrives, in order, and the
 *     handler sees the siginfo the sender gave (si_code SI_TKILL, our pid);
 *   - sigaction reports the program's own handler and flags back;
 *   - SA_RESETHAND, signal() and sysv_signal() keep their one-shot and
 *     restart semantics, and signal() returns the previous handler.
 */
#include "probe.h"
#include <pthread.h>
#include <stdatomic.h>

static int hs, rx;                       /* handler's sender, receiver */
static struct sockaddr_storage rx_addr;
static socklen_t rx_len;
static volatile sig_atomic_t handled, bad_info, handler_errors;
static _Atomic int stop;
static pthread_t main_thread;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    int saved = errno;
    if (si->si_code != SI_TKILL || si->si_pid != getpid())
        bad_info++;
    uint32_t n = (uint32_t)handled;
    if (sendto(hs, &n, sizeof n, 0, (struct sockaddr *)&rx_addr, rx_len) != sizeof n)
        handler_errors++;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0 || close(s) < 0)
        handler_errors++;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(rx, (struct sockaddr *)&ss, &len) < 0)
        handler_errors++;
    handled++;
    errno = saved;
}

static void *pester(void *p)
{
    (void)p;
    struct timespec ts = {0, 5000};
    while (!atomic_load(&stop)) {
        pthread_kill(main_thread, SIGUSR1);
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* Datagrams received so far, checking their numbers run 0, 1, 2... */
static uint32_t got;
static int order_ok = 1;
static void drain(void)
{
    uint32_t n;
    while (recv(rx, &n, sizeof n, MSG_DONTWAIT) == sizeof n) {
        if (n != got)
            order_ok = 0;
        got++;
    }
}

static volatile sig_atomic_t once_hits;
static void on_once(int sig)
{
    (void)sig;
    once_hits++;
}

int main(void)
{
    probe_init();
    int port;
    rx = udp_bound(AF_INET, "127.0.0.1", &port);
    rx_len = sa_make(AF_INET, "127.0.0.1", port, &rx_addr);
    hs = udp_bound(AF_INET, "127.0.0.1", &port);
    int a, b;
    tcp_pair(AF_INET, &a, &b);
    int ep = NEED(epoll_create1(0));
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = b};
    NEED(epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev));

    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    NEED(sigaction(SIGUSR1, &sa, NULL));
    NEED(sigaction(SIGUSR1, NULL, &old));
    CHECK("sigaction_reports_handler", old.sa_sigaction == on_usr1);
    CHECK("sigaction_reports_flags",
          (old.sa_flags & (SA_SIGINFO | SA_RESTART | SA_RESETHAND)) == (SA_SIGINFO | SA_RESTART));
    CHECK("sigaction_reports_mask", sigismember(&old.sa_mask, SIGUSR2) == 1);

    main_thread = pthread_self();
    pthread_t t;
    pthread_create(&t, NULL, pester, NULL);
    char out[64], in[64];
    int loop_errors = 0;
    double end = now_ms() + 400;
    for (uint32_t i = 0; now_ms() < end || handled < 200; i++) {
        memset(out, (int)(i & 0xff), sizeof out);
        if (send(a, out, sizeof out, 0) != sizeof out)
            loop_errors++;
        struct pollfd pf = {.fd = b, .events = POLLIN};
        if (poll(&pf, 1, 1000) != 1)
            loop_errors++;
        struct epoll_event got_ev;
        if (epoll_wait(ep, &got_ev, 1, 1000) != 1)
            loop_errors++;
        size_t have = 0;
        while (have < sizeof in) {
            ssize_t r = recv(b, in + have, sizeof in - have, 0);
            if (r <= 0)
                break;
            have += (size_t)r;
        }
        if (have != sizeof in || memcmp(in, out, sizeof in) != 0)
            loop_errors++;
        int s = socket(AF_INET6, SOCK_STREAM, 0);
        if (s < 0 || close(s) < 0)
            loop_errors++;
        drain();
    }
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    /* A signal the pester sent last may still be on its way. */
    WAIT_UNTIL((drain(), got == (uint32_t)handled), 2000);
    CHECK("loop_errors_none", loop_errors == 0);
    CHECK("handler_ran_often", handled >= 200);
    CHECK("handler_errors_none", handler_errors == 0);
    CHECK("siginfo_kept", bad_info == 0);
    CHECK("every_datagram_arrived", got == (uint32_t)handled);
    CHECK("in_order", order_ok);

    /* One-shot handlers. */
    sa.sa_handler = on_once;
    sa.sa_flags = SA_RESETHAND;
    NEED(sigaction(SIGUSR2, &sa, NULL));
    raise(SIGUSR2);
    NEED(sigaction(SIGUSR2, NULL, &old));
    CHECK("resethand_ran", once_hits == 1);
    CHECK("resethand_reset_to_default", old.sa_handler == SIG_DFL);

    once_hits = 0;
    sighandler_t prev = signal(SIGUSR2, on_once);
    CHECK("signal_returns_previous", prev == SIG_DFL);
    raise(SIGUSR2);
    raise(SIGUSR2);
    NEED(sigaction(SIGUSR2, NULL, &old));
    CHECK("signal_stays_installed", old.sa_handler == on_once && once_hits == 2);
    CHECK("signal_restarts", (old.sa_flags & SA_RESTART) != 0);
    prev = signal(SIGUSR2, SIG_IGN);
    CHECK("signal_returns_handler", prev == on_once);

    once_hits = 0;
    sysv_signal(SIGUSR2, on_once);
    raise(SIGUSR2);
    NEED(sigaction(SIGUSR2, NULL, &old));
    CHECK("sysv_signal_one_shot", once_hits == 1 && old.sa_handler == SIG_DFL);

    errno = 0;
    CHECK("signal_bad_number", signal(0, on_once) == SIG_ERR && errno == EINVAL);
    SHOW("sigaction_sigkill", sigaction(SIGKILL, &sa, NULL));
    SHOW("sigaction_65", sigaction(65, &sa, NULL));
    return 0;
}
