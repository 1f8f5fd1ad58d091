/* trap_lazy: what one network action does to the process's seccomp mode
 * (tests/integration/trap_lazy.sh).  Prints "start N" (the mode at the
 * start of main), the action's result, then "end N".  Actions: none,
 * gai (getaddrinfo of localhost), sock (socket AF_INET), raw (a raw
 * syscall(SYS_socket) as the program's first network action; "caught"
 * says its fd was placed where the trap puts the sockets it makes),
 * resq (res_query), fdopen (fdopen of a pipe: no trap), exec (execs
 * itself with "none": the new image inherits the filter), thread (a
 * thread started before the install has the filter after it, and its
 * own inline socket system call is caught). */
#include <arpa/nameser.h>
#include <pthread.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Seccomp: of the calling thread. */
static int mode(void)
{
    FILE *f = fopen("/proc/thread-self/status", "r");
    char l[256];
    int m = -1;
    while (f && fgets(l, sizeof l, f))
        if (strncmp(l, "Seccomp:", 8) == 0)
            m = atoi(l + 8);
    if (f)
        fclose(f);
    return m;
}

static int go[2], done[2];

/* socket(AF_INET, SOCK_STREAM) with the program's own instruction. */
static long inline_socket(void)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_socket), "D"((long)AF_INET),
                     "S"((long)SOCK_STREAM), "d"(0L) : "rcx", "r11", "memory");
    return r;
}

static void *other(void *arg)
{
    char c;
    if (read(go[0], &c, 1) != 1)
        return NULL;
    long s = inline_socket();
    printf("thread %d %s\n", mode(), s >= 512 ? "caught" : "kernel");
    fflush(stdout);
    c = 0;
    if (write(done[1], &c, 1) != 1)
        return NULL;
    return NULL;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "none";
    printf("start %d\n", mode());
    if (!strcmp(what, "gai")) {
        struct addrinfo *r = NULL;
        int e = getaddrinfo("localhost", NULL, NULL, &r);
        printf("gai %s\n", e == 0 ? "ok" : gai_strerror(e));
        if (r)
            freeaddrinfo(r);
    } else if (!strcmp(what, "sock")) {
        printf("sock %s\n", socket(AF_INET, SOCK_STREAM, 0) >= 0 ? "ok" : "failed");
    } else if (!strcmp(what, "raw")) {
        long s = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
        printf("raw %s %s\n", s >= 0 ? "ok" : "failed", s >= 512 ? "caught" : "kernel");
    } else if (!strcmp(what, "resq")) {
        unsigned char ans[512];
        res_query("localhost", ns_c_in, ns_t_a, ans, sizeof ans);
        printf("resq done\n");
    } else if (!strcmp(what, "fdopen")) {
        int p[2];
        if (pipe(p) == 0 && fdopen(p[0], "r"))
            printf("fdopen ok\n");
    } else if (!strcmp(what, "thread")) {
        pthread_t t;
        char c = 1;
        if (pipe(go) || pipe(done) || pthread_create(&t, NULL, other, NULL))
            return 1;
        struct addrinfo *r = NULL;
        getaddrinfo("localhost", NULL, NULL, &r);
        if (write(go[1], &c, 1) != 1 || read(done[0], &c, 1) != 1)
            return 1;
        pthread_join(t, NULL);
    } else if (!strcmp(what, "exec")) {
        socket(AF_INET, SOCK_DGRAM, 0);
        printf("mid %d\n", mode());
        fflush(stdout);
        execl("/proc/self/exe", argv[0], "none", (char *)NULL);
        perror("execl");
        return 1;
    }
    printf("end %d\n", mode());
    return 0;
}
