/*
 * tcp_peek_waitall — receive flags on a TCP stream: MSG_PEEK (does not
 * consume, may look further than a later read), MSG_WAITALL (gathers
 * several segments sent over time, stops early at EOF, is overridden by
 * MSG_DONTWAIT), MSG_PEEK|MSG_WAITALL, MSG_TRUNC (discards bytes on TCP),
 * SO_RCVLOWAT, and zero-length receives.
 *
 * Segments are sent by a helper thread with small pauses so that a plain
 * recv would see them separately; only results that do not depend on the
 * pauses are printed.
 */
#include "probe.h"
#include <pthread.h>

struct dribble {
    int fd;
    const char *parts[8];
    int close_after;
};

/* Send each part after a 20 ms pause; optionally close the socket. */
static void *dribble_thread(void *p)
{
    struct dribble *d = p;
    for (int i = 0; d->parts[i]; i++) {
        sleep_ms(20);
        write_full(d->fd, d->parts[i], strlen(d->parts[i]));
    }
    if (d->close_after)
        close(d->fd);
    return NULL;
}

int main(void)
{
    probe_init();
    char buf[64];
    int c, s;
    pthread_t th;

    say("== MSG_PEEK ==\n");
    tcp_pair(AF_INET, &c, &s);
    SHOW("send abcdef", send(c, "abcdef", 6, 0));
    WAIT_UNTIL(recv(s, buf, 6, MSG_PEEK | MSG_DONTWAIT) == 6, 1000);
    memset(buf, 0, sizeof buf);
    SHOW("peek 3", recv(s, buf, 3, MSG_PEEK));
    say("data: %s\n", buf);
    memset(buf, 0, sizeof buf);
    SHOW("peek 64", recv(s, buf, sizeof buf, MSG_PEEK));
    say("data: %s\n", buf);
    memset(buf, 0, sizeof buf);
    SHOW("recv 2", recv(s, buf, 2, 0));
    say("data: %s\n", buf);
    memset(buf, 0, sizeof buf);
    SHOW("peek after partial read", recv(s, buf, sizeof buf, MSG_PEEK));
    say("data: %s\n", buf);
    SHOW("FIONREAD after peek", ({ int n = -1; ioctl(s, FIONREAD, &n) < 0 ? -1 : n; }));
    memset(buf, 0, sizeof buf);
    SHOW("recv rest", recv(s, buf, sizeof buf, 0));
    say("data: %s\n", buf);
    SHOW("peek empty MSG_DONTWAIT", recv(s, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT));
    /* Peek sees bytes of separate sends as one stream. */
    SHOW("send 12", send(c, "12", 2, 0));
    SHOW("send 34", send(c, "34", 2, 0));
    WAIT_UNTIL(recv(s, buf, 4, MSG_PEEK | MSG_DONTWAIT) == 4, 1000);
    memset(buf, 0, sizeof buf);
    SHOW("peek across sends", recv(s, buf, sizeof buf, MSG_PEEK));
    say("data: %s\n", buf);
    memset(buf, 0, sizeof buf);
    SHOW("recv across sends", recv(s, buf, sizeof buf, 0));
    say("data: %s\n", buf);

    say("== MSG_WAITALL ==\n");
    struct dribble d1 = { c, { "he", "ll", "o ", "wo", "rld" }, 0 };
    pthread_create(&th, NULL, dribble_thread, &d1);
    memset(buf, 0, sizeof buf);
    SHOW("recv WAITALL 11 over 5 sends", recv(s, buf, 11, MSG_WAITALL));
    say("data: %s\n", buf);
    pthread_join(th, NULL);

    /* PEEK|WAITALL waits until the whole amount can be peeked. */
    struct dribble d2 = { c, { "pe", "ek", "ed" }, 0 };
    pthread_create(&th, NULL, dribble_thread, &d2);
    memset(buf, 0, sizeof buf);
    SHOW("recv PEEK|WAITALL 6", recv(s, buf, 6, MSG_PEEK | MSG_WAITALL));
    say("data: %s\n", buf);
    pthread_join(th, NULL);
    memset(buf, 0, sizeof buf);
    SHOW("recv after peek", recv(s, buf, sizeof buf, 0));
    say("data: %s\n", buf);

    /* DONTWAIT wins over WAITALL: return what is there. */
    SHOW("send 4", send(c, "part", 4, 0));
    WAIT_UNTIL(recv(s, buf, 4, MSG_PEEK | MSG_DONTWAIT) == 4, 1000);
    memset(buf, 0, sizeof buf);
    SHOW("recv WAITALL|DONTWAIT 10 with 4 queued", recv(s, buf, 10, MSG_WAITALL | MSG_DONTWAIT));
    say("data: %s\n", buf);
    SHOW("recv WAITALL|DONTWAIT on empty", recv(s, buf, 10, MSG_WAITALL | MSG_DONTWAIT));

    say("== MSG_TRUNC on TCP discards ==\n");
    SHOW("send 0123456789", send(c, "0123456789", 10, 0));
    WAIT_UNTIL(recv(s, buf, 10, MSG_PEEK | MSG_DONTWAIT) == 10, 1000);
    SHOW("recv(NULL, 4, MSG_TRUNC)", recv(s, NULL, 4, MSG_TRUNC));
    memset(buf, 0, sizeof buf);
    SHOW("recv rest", recv(s, buf, sizeof buf, 0));
    say("data: %s\n", buf);

    say("== zero-length receives ==\n");
    /* A zero-length read() returns 0 without looking at the socket; a
     * zero-length recv() goes to the protocol, which reports EAGAIN when
     * nothing is queued (with MSG_DONTWAIT) and 0 when data is queued. */
    SHOW("read len 0, empty", read(s, buf, 0));
    SHOW("recv len 0 DONTWAIT, empty", recv(s, buf, 0, MSG_DONTWAIT));
    SHOW("send xy", send(c, "xy", 2, 0));
    WAIT_UNTIL(recv(s, buf, 2, MSG_PEEK | MSG_DONTWAIT) == 2, 1000);
    SHOW("recv len 0 DONTWAIT, data queued", recv(s, buf, 0, MSG_DONTWAIT));
    SHOW("recv len 0 blocking, data queued", recv(s, buf, 0, 0));
    SHOW("FIONREAD still 2", ({ int n = -1; ioctl(s, FIONREAD, &n) < 0 ? -1 : n; }));
    SHOW("recv 2", recv(s, buf, sizeof buf, 0));

    say("== SO_RCVLOWAT ==\n");
    SHOW("SO_RCVLOWAT default", get_int_opt(s, SOL_SOCKET, SO_RCVLOWAT));
    SHOW("set SO_RCVLOWAT 5", set_int_opt(s, SOL_SOCKET, SO_RCVLOWAT, 5));
    SHOW("SO_RCVLOWAT now", get_int_opt(s, SOL_SOCKET, SO_RCVLOWAT));
    struct dribble d3 = { c, { "lo", "wat" }, 0 };
    pthread_create(&th, NULL, dribble_thread, &d3);
    memset(buf, 0, sizeof buf);
    /* Blocks until 5 bytes are there although the first 2 came earlier. */
    SHOW("recv with lowat 5", recv(s, buf, sizeof buf, 0));
    say("data: %s\n", buf);
    pthread_join(th, NULL);
    SHOW("set SO_RCVLOWAT 1", set_int_opt(s, SOL_SOCKET, SO_RCVLOWAT, 1));

    say("== MSG_WAITALL stops at EOF ==\n");
    struct dribble d4 = { c, { "sh", "ort" }, 1 };
    pthread_create(&th, NULL, dribble_thread, &d4);
    memset(buf, 0, sizeof buf);
    SHOW("recv WAITALL 10, peer sends 5 then closes", recv(s, buf, 10, MSG_WAITALL));
    say("data: %s\n", buf);
    pthread_join(th, NULL);
    SHOW("recv WAITALL at EOF", recv(s, buf, 10, MSG_WAITALL));
    close(s);
    return 0;
}
