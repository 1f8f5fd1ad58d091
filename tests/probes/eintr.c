/*
 * eintr — signals interrupting blocked socket calls:
 *   - handler without SA_RESTART: a blocked recv/accept/recvfrom fails
 *     with EINTR;
 *   - handler with SA_RESTART: the blocked recv is restarted and returns
 *     the data that arrives later;
 *   - with SA_RESTART but SO_RCVTIMEO set, recv is NOT restarted (Linux
 *     returns EINTR for socket calls with a timeout, see signal(7));
 *   - nothing is lost: data sent after an EINTR is received intact.
 *
 * A helper thread sends SIGUSR1 to the main thread every 20 ms until told
 * to stop, so the signal surely arrives while the main thread is blocked
 * (if one arrived just before the call, a later one still interrupts it).
 * Handler invocation counts depend on timing and are only checked >= 1.
 */
#include "probe.h"
#include <pthread.h>

static volatile sig_atomic_t hits;
static void on_usr1(int sig)
{
    (void)sig;
    hits++;
}

struct pester {
    pthread_t target;
    volatile int stop;
    int count;      /* signals to send before sending data (0: forever) */
    int data_fd;    /* if >= 0, send "late" here after `count` signals */
};

static void *pester_thread(void *p)
{
    struct pester *ps = p;
    for (int i = 0; !ps->stop; i++) {
        sleep_ms(20);
        if (ps->stop)
            break;
        pthread_kill(ps->target, SIGUSR1);
        if (ps->count && i + 1 == ps->count) {
            sleep_ms(20);
            if (ps->data_fd >= 0)
                write_full(ps->data_fd, "late", 4);
            break;
        }
    }
    return NULL;
}

static void install(int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
}

static void start(pthread_t *th, struct pester *ps, int count, int data_fd)
{
    ps->target = pthread_self();
    ps->stop = 0;
    ps->count = count;
    ps->data_fd = data_fd;
    hits = 0;
    pthread_create(th, NULL, pester_thread, ps);
}

/* Stop the signal thread, then print the call's result.  Printing only
 * after the join keeps stray signals away from our own stdout writes. */
static void finish(pthread_t th, struct pester *ps, const char *label,
                   long ret, int err)
{
    ps->stop = 1;
    pthread_join(th, NULL);
    probe_report(label, ret, err);
    say("  handler ran=%d\n", hits > 0);
}

/* Run a blocking call while signals arrive; evaluates to nothing. */
#define INTERRUPTED(label, expr)                                          \
    do {                                                                  \
        long r_ = QUIET(expr);                                            \
        finish(th, &ps, (label), r_, errno);                              \
    } while (0)

int main(void)
{
    probe_init();
    char buf[64];
    pthread_t th;
    struct pester ps;
    int c, s;
    tcp_pair(AF_INET, &c, &s);

    say("== no SA_RESTART ==\n");
    install(0);
    start(&th, &ps, 0, -1);
    INTERRUPTED("blocked TCP recv", recv(s, buf, sizeof buf, 0));

    int up;
    int u = udp_bound(AF_INET, "127.0.0.1", &up);
    start(&th, &ps, 0, -1);
    INTERRUPTED("blocked UDP recvfrom", recvfrom(u, buf, sizeof buf, 0, NULL, NULL));

    int port;
    int lfd = tcp_listener(AF_INET, "127.0.0.1", 2, &port);
    start(&th, &ps, 0, -1);
    INTERRUPTED("blocked accept", accept(lfd, NULL, NULL));

    /* The connection is unharmed by the interruption. */
    SHOW("send after EINTR", send(c, "intact", 6, 0));
    memset(buf, 0, sizeof buf);
    SHOW("recv", read_full(s, buf, 6));
    say("  data: %s\n", buf);

    say("== SA_RESTART ==\n");
    install(SA_RESTART);
    /* Three signals, then data: recv must restart and return the data. */
    start(&th, &ps, 3, c);
    memset(buf, 0, sizeof buf);
    INTERRUPTED("blocked TCP recv", recv(s, buf, sizeof buf, 0));
    say("  data: %s\n", buf);

    struct sockaddr_in to = sa4("127.0.0.1", up);
    int us = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    NEED(connect(us, (struct sockaddr *)&to, sizeof to));
    start(&th, &ps, 3, us);
    memset(buf, 0, sizeof buf);
    INTERRUPTED("blocked UDP recv", recv(u, buf, sizeof buf, 0));
    say("  data: %s\n", buf);
    close(us);

    say("== SA_RESTART but SO_RCVTIMEO set ==\n");
    struct timeval tv = { 5, 0 };
    NEED(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    start(&th, &ps, 0, -1);
    INTERRUPTED("blocked TCP recv with timeout", recv(s, buf, sizeof buf, 0));

    close(lfd);
    close(u);
    close(c);
    close(s);
    return 0;
}
