/* host_names NAME — name lookups and interfaces as a program on a named
 * host sees them, through the C library: res_query (glibc's resolver on
 * the wire, to the nameserver of resolv.conf) for NAME and for an
 * unknown name, getaddrinfo of an unknown name, getaddrinfo of NAME and
 * of localhost with AI_ADDRCONFIG, gethostbyname, and the interface
 * ioctls (SIOCGIFCONF, SIOCGIFFLAGS, SIOCGIFINDEX, SIOCGIFNAME,
 * SIOCGIFNETMASK) on an inet socket.  "fast" means under a second.
 *
 * Not a differential probe (the kernel has no such host): run under the
 * library by tests/integration/names_hosts.sh, which checks its lines. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void query(const char *name)
{
    unsigned char ans[512];
    double t0 = now();
    int n = res_query(name, ns_c_in, ns_t_a, ans, sizeof ans);
    const char *fast = now() - t0 < 1 ? "fast" : "slow";
    if (n < 0) {
        printf("res_query %s A: failed h_errno %s %s\n", name,
               h_errno == HOST_NOT_FOUND ? "HOST_NOT_FOUND" : "other", fast);
        return;
    }
    ns_msg m;
    ns_rr rr;
    if (ns_initparse(ans, n, &m) < 0 || ns_msg_count(m, ns_s_an) < 1 ||
        ns_parserr(&m, ns_s_an, 0, &rr) < 0 || ns_rr_rdlen(rr) != 4) {
        printf("res_query %s A: unparsable answer\n", name);
        return;
    }
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, ns_rr_rdata(rr), ip, sizeof ip);
    printf("res_query %s A: %s answers %d %s\n", name, ip, ns_msg_count(m, ns_s_an), fast);
}

static void lookup(const char *name, int family, int flags)
{
    struct addrinfo h = {.ai_family = family, .ai_socktype = SOCK_STREAM,
                         .ai_flags = flags}, *r;
    double t0 = now();
    int e = getaddrinfo(name, "80", &h, &r);
    const char *fast = now() - t0 < 1 ? "fast" : "slow";
    printf("getaddrinfo %s%s%s:", name, family == AF_INET ? " AF_INET" : "",
           flags & AI_ADDRCONFIG ? " AI_ADDRCONFIG" : "");
    if (e) {
        printf(" %s %s\n", e == EAI_NONAME ? "EAI_NONAME" : gai_strerror(e), fast);
        return;
    }
    for (struct addrinfo *p = r; p; p = p->ai_next) {
        char ip[INET6_ADDRSTRLEN];
        getnameinfo(p->ai_addr, p->ai_addrlen, ip, sizeof ip, NULL, 0, NI_NUMERICHOST);
        printf(" %s", ip);
    }
    printf("\n");
    freeaddrinfo(r);
}

static void interfaces(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq rq[8];
    struct ifconf c = {.ifc_len = sizeof rq, .ifc_req = rq};
    if (s < 0 || ioctl(s, SIOCGIFCONF, &c) < 0) {
        printf("SIOCGIFCONF: %s\n", strerror(errno));
        return;
    }
    for (int i = 0; i < c.ifc_len / (int)sizeof rq[0]; i++) {
        struct ifreq r;
        memset(&r, 0, sizeof r);
        memcpy(r.ifr_name, rq[i].ifr_name, IFNAMSIZ);
        printf("if %s %s", r.ifr_name,
               inet_ntoa(((struct sockaddr_in *)&rq[i].ifr_addr)->sin_addr));
        if (ioctl(s, SIOCGIFNETMASK, &r) == 0)
            printf(" mask %s", inet_ntoa(((struct sockaddr_in *)&r.ifr_addr)->sin_addr));
        if (ioctl(s, SIOCGIFFLAGS, &r) == 0)
            printf(" %s%s", r.ifr_flags & IFF_UP ? "up" : "down",
                   r.ifr_flags & IFF_LOOPBACK ? " loopback" : "");
        if (ioctl(s, SIOCGIFINDEX, &r) == 0) {
            int ix = r.ifr_ifindex;
            memset(r.ifr_name, 0, IFNAMSIZ);
            r.ifr_ifindex = ix;
            printf(" index %d", ix);
            if (ioctl(s, SIOCGIFNAME, &r) == 0)
                printf(" named %s", r.ifr_name);
        }
        printf("\n");
    }
    close(s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: host_names NAME\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    query(argv[1]);
    query("no-such-host.example");
    lookup("no-such-host.example", AF_UNSPEC, 0);
    lookup(argv[1], AF_INET, AI_ADDRCONFIG);
    lookup("localhost", AF_INET, AI_ADDRCONFIG);
    struct hostent *he = gethostbyname(argv[1]);
    printf("gethostbyname %s: %s\n", argv[1],
           he ? inet_ntoa(*(struct in_addr *)he->h_addr_list[0]) : "failed");
    interfaces();
    return 0;
}
