/*
 * conn — sequential TCP connections: connect + accept + 1-byte exchange +
 * close, one at a time, between two processes.
 *
 * The client (parent) connects, sends one byte (0..254), reads the
 * server's answer (the byte XOR 0xA5), checks it and closes; the server
 * (forked child) accepts, answers, waits for the client's close (EOF) and
 * closes.  Byte 255 tells the server to stop.  Prints connections/s.
 */
#include "bench.h"

int main(int argc, char **argv)
{
    (void)argc;
    bench_bound(20);
    signal(SIGPIPE, SIG_IGN);
    int port, lfd;

    pid_t parent = getpid(), pid = fork_server(argv, &lfd, &port, 128);
    if (pid < 0)
        die("fork:");
    if (pid == 0) {
        child_init(parent, 20);
        for (;;) {
            int fd = tcp_accept(lfd);
            unsigned char b;
            if (read_all(fd, &b, 1) != 1)
                corrupt("connection closed before its byte");
            if (b == 255)
                _exit(0);
            b ^= REPLY_XOR;
            write_all(fd, &b, 1);
            char x;
            ssize_t r;
            while ((r = read(fd, &x, 1)) < 0 && errno == EINTR)
                ;
            if (r != 0)
                die("expected EOF, read returned %zd:", r);
            close(fd);
        }
    }
    close(lfd);

    double secs = bench_secs();
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)(secs * 1e9), t1, n = 0;
    do {
        int fd = tcp_connect(port);
        unsigned char b = (unsigned char)(n % 255), r;
        write_all(fd, &b, 1);
        if (read_all(fd, &r, 1) != 1)
            corrupt("connection %llu: no answer", (unsigned long long)n);
        if (r != (unsigned char)(b ^ REPLY_XOR))
            corrupt("connection %llu: got 0x%02x, want 0x%02x",
                    (unsigned long long)n, r, b ^ REPLY_XOR);
        close(fd);
        n++;
        t1 = now_ns();
    } while (t1 < end && n < 1000000);

    int fd = tcp_connect(port);
    unsigned char stop = 255;
    write_all(fd, &stop, 1);
    close(fd);
    if (reap(pid, "server") != 0)
        return 1;
    result("conn_rate", (double)n / ((double)(t1 - t0) / 1e9), "conn/s", "higher");
    return 0;
}
