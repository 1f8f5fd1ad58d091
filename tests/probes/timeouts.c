/*
 * timeouts — SO_RCVTIMEO / SO_SNDTIMEO: expiring receive timeouts on UDP,
 * TCP and accept() (-> EAGAIN after at least the timeout), a receive that
 * is satisfied before the timeout, a send timeout on a full connection
 * (partial count, then EAGAIN), and a blocking connect to a full accept
 * queue giving up with EINPROGRESS.
 *
 * Only "elapsed >= timeout" and "well below the alarm" are printed.  The
 * kernel rounds timeouts to scheduler ticks, so 5 ms of slack is allowed
 * below the nominal value.
 */
#include "probe.h"
#include <pthread.h>

#define TMO_MS 100

static void set_timeo(int fd, int opt, int ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    NEED(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv));
}

static void report_elapsed(double t0, int ms)
{
    double el = now_ms() - t0;
    say("  elapsed>=timeout=%d elapsed<timeout+2s=%d\n", el >= ms - 5,
        el < ms + 2000);
}

struct late { int fd; };

static void *late_sender(void *p)
{
    struct late *l = p;
    sleep_ms(30);
    write_full(l->fd, "in time", 7);
    return NULL;
}

int main(void)
{
    probe_init();
    char buf[64];
    double t0;

    say("== UDP recv ==\n");
    int up;
    int u = udp_bound(AF_INET, "127.0.0.1", &up);
    set_timeo(u, SO_RCVTIMEO, TMO_MS);
    t0 = now_ms();
    SHOW("recv", recv(u, buf, sizeof buf, 0));
    report_elapsed(t0, TMO_MS);
    /* MSG_DONTWAIT still returns at once. */
    t0 = now_ms();
    SHOW("recv MSG_DONTWAIT", recv(u, buf, sizeof buf, MSG_DONTWAIT));
    say("  immediate=%d\n", now_ms() - t0 < TMO_MS / 2);
    close(u);

    say("== TCP recv ==\n");
    int c, s;
    tcp_pair(AF_INET, &c, &s);
    set_timeo(s, SO_RCVTIMEO, TMO_MS);
    t0 = now_ms();
    SHOW("recv", recv(s, buf, sizeof buf, 0));
    report_elapsed(t0, TMO_MS);
    /* Data arriving before the timeout is delivered normally. */
    pthread_t th;
    struct late l = { c };
    set_timeo(s, SO_RCVTIMEO, 2000);
    pthread_create(&th, NULL, late_sender, &l);
    memset(buf, 0, sizeof buf);
    SHOW("recv, data after 30 ms, timeout 2 s", read_full(s, buf, 7));
    say("  data: %s\n", buf);
    pthread_join(th, NULL);
    /* MSG_WAITALL with a timeout returns the partial amount. */
    set_timeo(s, SO_RCVTIMEO, TMO_MS);
    NEED(send(c, "abc", 3, 0));
    t0 = now_ms();
    SHOW("recv MSG_WAITALL 10, only 3 sent", recv(s, buf, 10, MSG_WAITALL));
    report_elapsed(t0, TMO_MS);

    say("== accept ==\n");
    int port;
    int lfd = tcp_listener(AF_INET, "127.0.0.1", 1, &port);
    set_timeo(lfd, SO_RCVTIMEO, TMO_MS);
    t0 = now_ms();
    SHOW("accept", accept(lfd, NULL, NULL));
    report_elapsed(t0, TMO_MS);

    say("== TCP send on a full connection ==\n");
    /* Nobody reads s.  First fill everything without blocking, then a
     * blocking send with SO_SNDTIMEO must give up after the timeout: with
     * EAGAIN if it queued nothing, or with a partial count if the kernel
     * found room meanwhile (buffer autotuning makes that amount vary, so
     * it is not printed). */
    static unsigned char big[1 << 20];
    ssize_t r;
    int calls = 0;
    while ((r = send(c, big, sizeof big, MSG_DONTWAIT)) > 0 && ++calls < 1000)
        ;
    probe_report("fill with MSG_DONTWAIT until", r, errno);
    set_timeo(c, SO_SNDTIMEO, TMO_MS);
    t0 = now_ms();
    r = send(c, big, sizeof big, 0);
    say("blocking send 1 MiB: gave up (EAGAIN or partial)=%d\n",
        (r < 0 && errno == EAGAIN) || (r >= 0 && r < (ssize_t)sizeof big));
    report_elapsed(t0, TMO_MS);
    close(c);
    close(s);

    say("== connect to a full accept queue ==\n");
    /* Backlog 0 holds one connection; the next SYN is dropped, so a
     * blocking connect waits and, with SO_SNDTIMEO, gives up. */
    close(lfd);
    lfd = tcp_listener(AF_INET, "127.0.0.1", 0, &port);
    int first = tcp_connect(AF_INET, "127.0.0.1", port);
    sleep_ms(20);
    int second = NEED(socket(AF_INET, SOCK_STREAM, 0));
    set_timeo(second, SO_SNDTIMEO, TMO_MS);
    struct sockaddr_in a = sa4("127.0.0.1", port);
    t0 = now_ms();
    SHOW("connect", connect(second, (struct sockaddr *)&a, sizeof a));
    report_elapsed(t0, TMO_MS);
    /* The attempt goes on in the background. */
    SHOW("connect again", connect(second, (struct sockaddr *)&a, sizeof a));
    close(second);
    close(first);
    close(lfd);
    return 0;
}
