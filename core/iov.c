#include "core/iov.h"

#include <string.h>

void sn_iovc_init(sn_iovc *c, const struct iovec *iov, int n)
{
    c->iov = iov;
    c->n = n;
    c->i = 0;
    c->off = 0;
}

size_t sn_iov_total(const struct iovec *iov, int n)
{
    size_t t = 0;
    for (int i = 0; i < n; i++)
        t += iov[i].iov_len;
    return t;
}

/* One loop for the three directions: dst/src NULL means "just advance". */
static size_t iovc_move(sn_iovc *c, void *dst, const void *src, size_t len)
{
    size_t done = 0;
    while (done < len && c->i < c->n) {
        const struct iovec *v = &c->iov[c->i];
        size_t k = v->iov_len - c->off;
        if (k > len - done)
            k = len - done;
        char *p = (char *)v->iov_base + c->off;
        if (k && dst)                   /* {NULL, 0} iovecs are legal */
            memcpy((char *)dst + done, p, k);
        else if (k && src)
            memcpy(p, (const char *)src + done, k);
        done += k;
        c->off += k;
        if (c->off == v->iov_len) {
            c->i++;
            c->off = 0;
        }
    }
    return done;
}

size_t sn_iovc_read(sn_iovc *c, void *dst, size_t len)
{
    return iovc_move(c, dst, NULL, len);
}

size_t sn_iovc_write(sn_iovc *c, const void *src, size_t len)
{
    return iovc_move(c, NULL, src, len);
}

size_t sn_iovc_skip(sn_iovc *c, size_t len)
{
    return iovc_move(c, NULL, NULL, len);
}
