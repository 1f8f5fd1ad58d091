/*
 * cancel — blocking socket calls are cancellation points: pthread_cancel
 * of a thread blocked in recv, accept or connect (queued behind a full
 * backlog) ends it, leaks no fd, and the socket keeps working for the
 * other threads.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static int fd_recv, fd_listen;

static void *in_recv(void *x)
{
    char b[16];
    recv(fd_recv, b, sizeof b, 0);
    return x;
}

static void *in_accept(void *x)
{
    accept(fd_listen, NULL, NULL);
    return x;
}

static void cancel_blocked(const char *what, void *(*fn)(void *))
{
    pthread_t t;
    void *res;
    pthread_create(&t, NULL, fn, NULL);
    usleep(100 * 1000);             /* let it block */
    pthread_cancel(t);
    pthread_join(t, &res);
    printf("%s: cancelled=%d\n", what, res == PTHREAD_CANCELED);
}

int main(void)
{
    alarm(10);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    fd_listen = socket(AF_INET, SOCK_STREAM, 0);
    bind(fd_listen, (struct sockaddr *)&a, sizeof a);
    listen(fd_listen, 4);
    getsockname(fd_listen, (struct sockaddr *)&a, &n);
    int low = dup(0), sock = socket(AF_INET, SOCK_STREAM, 0);
    close(low);
    cancel_blocked("accept", in_accept);
    /* The cancelled accept must not keep an fd (the kernel takes none
     * before a connection arrives): the next free number is unchanged,
     * and the next socket comes right after the one made before (under
     * the library's trap sockets have numbers of their own, trap.h). */
    int next = dup(0), sock2 = socket(AF_INET, SOCK_STREAM, 0);
    printf("next fd after cancelled accept: unchanged=%d\n", next == low);
    printf("next socket after cancelled accept: previous+%d\n", sock2 - sock);
    close(next);
    close(sock);
    close(sock2);
    fd_recv = socket(AF_INET, SOCK_STREAM, 0);
    printf("connect after cancelled accept: %d\n",
           connect(fd_recv, (struct sockaddr *)&a, sizeof a));
    cancel_blocked("recv", in_recv);
    int s = accept(fd_listen, NULL, NULL);
    char b = 0;
    printf("send: %zd\n", send(s, "x", 1, 0));
    printf("recv after cancelled recv: %zd %c\n", recv(fd_recv, &b, 1, 0), b);
    close(s);
    close(fd_recv);
    close(fd_listen);
    return 0;
}
