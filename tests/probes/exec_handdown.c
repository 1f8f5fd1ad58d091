/*
 * exec_handdown — sockets handed to new programs.  The library starts
 * lazily in a new program (preload/init.h); a program that holds sockets
 * it was handed must still let go of the close-on-exec ones at once and
 * keep the others until it exits, even if it never touches them; and a
 * program started by system() finds the socket it inherited.
 *
 * The probe runs itself again (from /proc/self/exe) as the new program:
 *   idle      sleeps 0.6 s touching no fd, exits 0
 *   echo FD   reads a few bytes from FD, writes them back, exits 0 if it
 *             read any
 */
#include "probe.h"

#include <spawn.h>
#include <stdbool.h>

extern char **environ;
static char self[4096];

/* A connected pair; the child of the exec gets the server end s only
 * if !cloexec.  The client end c waits 0.3 s at most in recv. */
static void pair(int *c, int *s, bool cloexec)
{
    tcp_pair(AF_INET, c, s);
    fcntl(*c, F_SETFD, FD_CLOEXEC);
    if (cloexec)
        fcntl(*s, F_SETFD, FD_CLOEXEC);
    struct timeval tv = {.tv_sec = 0, .tv_usec = 300000};
    setsockopt(*c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* What the peer of a closed socket sees within 0.3 s. */
static const char *peer_sees(int c)
{
    char b;
    ssize_t r = recv(c, &b, 1, 0);
    return r == 0 ? "EOF" : r < 0 ? errname(errno) : "data";
}

static void handed_over(const char *how)
{
    int c1, s1, c2, s2;
    pair(&c1, &s1, true);               /* the child does not get s1 */
    pair(&c2, &s2, false);              /* ... but gets s2 */
    char *argv[] = {self, "idle", NULL};
    pid_t pid;
    if (strcmp(how, "posix_spawn") == 0) {
        posix_spawn(&pid, self, NULL, NULL, argv, environ);
    } else {
        pid = fork();
        if (pid == 0) {
            execv(self, argv);
            _exit(127);
        }
    }
    close(s1);
    close(s2);
    printf("%s: close-on-exec socket closed by the parent: peer sees %s\n", how, peer_sees(c1));
    printf("%s: inherited socket closed by the parent: peer sees %s\n", how, peer_sees(c2));
    int st;
    waitpid(pid, &st, 0);
    printf("%s: child exit %d; then the peer sees %s\n", how,
           WIFEXITED(st) ? WEXITSTATUS(st) : -1, peer_sees(c2));
    close(c1);
    close(c2);
}

static void through_system(void)
{
    int c, s;
    pair(&c, &s, false);
    send(c, "ping", 4, 0);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "'%s' echo %d", self, s);
    int st = system(cmd);
    char b[8] = {0};
    ssize_t r = recv(c, b, sizeof b - 1, 0);
    printf("system: child exit %d, echoed %zd '%s'\n",
           WIFEXITED(st) ? WEXITSTATUS(st) : -1, r, r > 0 ? b : "");
    close(s);
    printf("system: after the parent closes: peer sees %s\n", peer_sees(c));
    close(c);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "idle") == 0) {
        struct timespec t = {0, 600 * 1000 * 1000};
        nanosleep(&t, NULL);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "echo") == 0) {
        int fd = atoi(argv[2]);
        char b[16];
        ssize_t r = read(fd, b, sizeof b);
        if (r > 0 && write(fd, b, (size_t)r) == r)
            return 0;
        return 1;
    }
    alarm(20);
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 1;
    self[n] = 0;
    setvbuf(stdout, NULL, _IONBF, 0);
    handed_over("posix_spawn");
    handed_over("fork+execv");
    through_system();
    return 0;
}
