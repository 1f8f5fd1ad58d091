/*
 * prefork_accept — a pre-fork server: one listener, four forked workers
 * blocked in accept() on it; 40 clients connect one after another and
 * each sends its number.  Every connection is accepted exactly once, by
 * some worker, and the listener keeps working after the workers exit.
 */
#include "probe.h"

#define WORKERS 4
#define CLIENTS 40

static int lfd, report_w;

static int worker(void *arg)
{
    (void)arg;
    for (;;) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            return 2;
        unsigned char id;
        if (recv(c, &id, 1, MSG_WAITALL) != 1) {
            close(c);
            continue;               /* the parent's "stop" connections */
        }
        if (write(report_w, &id, 1) != 1)
            return 3;
        send(c, "k", 1, 0);
        close(c);
    }
}

int main(void)
{
    probe_init();
    int port, fds[2];
    lfd = tcp_listener(AF_INET, "127.0.0.1", 64, &port);
    NEED(pipe(fds));
    report_w = fds[1];
    pid_t pids[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        pids[i] = fork_peer(worker, NULL);
    close(fds[1]);
    struct sockaddr_in a = sa4("127.0.0.1", port);
    int acks = 0;
    for (int i = 0; i < CLIENTS; i++) {
        int c = NEED(socket(AF_INET, SOCK_STREAM, 0));
        NEED(connect(c, (struct sockaddr *)&a, sizeof a));
        unsigned char id = (unsigned char)i;
        NEED(send(c, &id, 1, 0));
        char k;
        acks += recv(c, &k, 1, 0) == 1 && k == 'k';
        close(c);
    }
    int seen[CLIENTS] = {0}, total = 0, dup = 0;
    unsigned char id;
    for (int i = 0; i < CLIENTS && read(fds[0], &id, 1) == 1; i++) {
        total++;
        if (id < CLIENTS && seen[id]++)
            dup++;
    }
    say("answered=%d accepted=%d twice=%d\n", acks, total, dup);
    for (int i = 0; i < WORKERS; i++)
        kill(pids[i], SIGKILL);
    for (int i = 0; i < WORKERS; i++)
        wait_peer(pids[i]);
    /* The workers are gone; the parent's listener still accepts. */
    int c = NEED(socket(AF_INET, SOCK_STREAM, 0));
    SHOW("connect after the workers died", connect(c, (struct sockaddr *)&a, sizeof a));
    int s = accept(lfd, NULL, NULL);
    say("parent accepts: %d\n", s >= 0);
    close(s);
    close(c);
    close(lfd);
    return 0;
}
