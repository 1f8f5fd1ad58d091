/* res_query and its family (resolv.h): the resolver's lower interface,
 * which sends DNS queries itself through glibc's internal socket calls.
 * Passed through as they are, after the trap (trap.h) is installed if it
 * was deferred: the queries' sockets are then caught and answered by the
 * simulated network.  The __res_* names are the same functions under
 * their older names (programs linked before glibc 2.34 call those). */
#include <arpa/nameser.h>
#include <resolv.h>

#include "preload/real.h"
#include "preload/trap.h"

/* resolv.h may map the plain names onto the __res_ ones: ours are both. */
#undef res_query
#undef res_search
#undef res_querydomain
#undef res_send
#undef res_nquery
#undef res_nsearch
#undef res_nquerydomain
#undef res_nsend

int res_query(const char *dname, int class, int type, unsigned char *ans, int len)
{
    sn_trap_need();
    return REAL(res_query)(dname, class, type, ans, len);
}

int res_search(const char *dname, int class, int type, unsigned char *ans, int len)
{
    sn_trap_need();
    return REAL(res_search)(dname, class, type, ans, len);
}

int res_querydomain(const char *name, const char *domain, int class, int type,
                    unsigned char *ans, int len)
{
    sn_trap_need();
    return REAL(res_querydomain)(name, domain, class, type, ans, len);
}

int res_send(const unsigned char *msg, int msglen, unsigned char *ans, int len)
{
    sn_trap_need();
    return REAL(res_send)(msg, msglen, ans, len);
}

int res_nquery(res_state st, const char *dname, int class, int type, unsigned char *ans,
               int len)
{
    sn_trap_need();
    return REAL(res_nquery)(st, dname, class, type, ans, len);
}

int res_nsearch(res_state st, const char *dname, int class, int type, unsigned char *ans,
                int len)
{
    sn_trap_need();
    return REAL(res_nsearch)(st, dname, class, type, ans, len);
}

int res_nquerydomain(res_state st, const char *name, const char *domain, int class,
                     int type, unsigned char *ans, int len)
{
    sn_trap_need();
    return REAL(res_nquerydomain)(st, name, domain, class, type, ans, len);
}

int res_nsend(res_state st, const unsigned char *msg, int msglen, unsigned char *ans,
              int len)
{
    sn_trap_need();
    return REAL(res_nsend)(st, msg, msglen, ans, len);
}

/* The older names: the same functions (one address in libc), so ours. */
int __res_query(const char *dname, int class, int type, unsigned char *ans, int len)
{
    return res_query(dname, class, type, ans, len);
}

int __res_search(const char *dname, int class, int type, unsigned char *ans, int len)
{
    return res_search(dname, class, type, ans, len);
}

int __res_querydomain(const char *name, const char *domain, int class, int type,
                      unsigned char *ans, int len)
{
    return res_querydomain(name, domain, class, type, ans, len);
}

int __res_send(const unsigned char *msg, int msglen, unsigned char *ans, int len)
{
    return res_send(msg, msglen, ans, len);
}

int __res_nquery(res_state st, const char *dname, int class, int type, unsigned char *ans,
                 int len)
{
    return res_nquery(st, dname, class, type, ans, len);
}

int __res_nsearch(res_state st, const char *dname, int class, int type, unsigned char *ans,
                  int len)
{
    return res_nsearch(st, dname, class, type, ans, len);
}

int __res_nquerydomain(res_state st, const char *name, const char *domain, int class,
                       int type, unsigned char *ans, int len)
{
    return res_nquerydomain(st, name, domain, class, type, ans, len);
}

int __res_nsend(res_state st, const unsigned char *msg, int msglen, unsigned char *ans,
                int len)
{
    return res_nsend(st, msg, msglen, ans, len);
}
