/* TCP urgent data, Linux's model (tcp_check_urg, tcp_urg, tcp_recv_urg,
 * the urgent tests of tcp_recvmsg, tcp_poll and SIOCINQ/SIOCATMARK).
 *
 * The last byte of a MSG_OOB send is the urgent byte.  It stays in the
 * receiver's ring; the mark is its position there (a free-running rx
 * index, urg_seq) and a copy waits in a one-byte slot for recv(MSG_OOB).
 * Whether the stream shows the byte is decided when it is read: without
 * SO_OOBINLINE a read that starts on it steps over it.  A read never
 * crosses the mark: it returns the bytes before it, and the next read
 * starts there.  Once a read has gone past the mark, the mark is gone,
 * and with it a byte recv(MSG_OOB) did not take.  A new urgent byte
 * moves the mark: the old byte becomes an ordinary one, except when the
 * reader stands on it out of line, where Linux drops it.
 *
 * The mark is written by the sender and read by the reader, both under
 * the receiver's rx_cons; the sender sets it before it publishes the
 * bytes, so a reader sees the bytes and their mark together.
 */
#include <errno.h>
#include <poll.h>

#include "core/owner.h"
#include "core/urgent.h"

static bool out_of_line(const sn_sock *k)
{
    return !(atomic_load_explicit(&k->opt, memory_order_relaxed) & SN_O_OOBINLINE);
}

int32_t sn_urg_mark(sn_arena *a, sn_sock *p, uint32_t n)
{
    uint32_t in = atomic_load_explicit(&p->rx.in, memory_order_relaxed);
    sn_lock(&p->rx_cons);       /* order: rx_prod -> rx_cons, as in sock.c */
    uint32_t out = atomic_load_explicit(&p->rx.out, memory_order_relaxed);
    /* The reader stands on the old urgent byte, out of line: Linux steps
     * over it now (tcp_check_urg), so it never shows in the stream. */
    if (p->urg && p->urg_seq == out && out != in && out_of_line(p))
        sn_ring_consume(&p->rx, 1);
    out = atomic_load_explicit(&p->rx.out, memory_order_relaxed);
    p->urg_seq = in + n - 1;
    sn_ring_get(&p->rx, a->heap + p->rx.off, p->urg_seq - out, &p->urg_byte, 1);
    atomic_store(&p->urg, SN_URG_VALID);
    sn_unlock(&p->rx_cons);
    return atomic_load(&p->owner);
}

/* Linux signals the owner when a new mark arrives (sk_send_sigurg),
 * SO_OOBINLINE or not.  The sender's process sends it: the signal then
 * comes from another pid than on Linux (the kernel), which a handler
 * reading si_pid could tell. */
void sn_urg_signal(int32_t owner)
{
    if (owner)
        sn_os_sigurg(owner);
}

void sn_sock_set_owner(sn_arena *a, int s, int32_t owner)
{
    atomic_store(&sn_sock_at(a, s)->owner, owner);
}

uint32_t sn_urg_span(sn_sock *k, uint32_t used, uint32_t *skip, sn_msg *m)
{
    uint32_t off = k->urg_seq - atomic_load_explicit(&k->rx.out, memory_order_relaxed);
    if (off >= used)
        return used;
    if (off == 0) {
        *skip = out_of_line(k);
        return used - *skip;
    }
    m->at_mark = true;
    return off;
}

void sn_urg_passed(sn_sock *k)
{
    uint32_t out = atomic_load_explicit(&k->rx.out, memory_order_relaxed);
    if ((int32_t)(out - k->urg_seq) > 0)
        atomic_store(&k->urg, 0);
}

ssize_t sn_urg_recv(sn_arena *a, sn_sock *k, sn_msg *m, int flags)
{
    (void)a;
    sn_lock(&k->rx_cons);
    if (!out_of_line(k) || k->urg != SN_URG_VALID) {
        sn_unlock(&k->rx_cons);
        return -EINVAL;
    }
    /* Closed by a reset rather than a FIN (Linux: TCP_CLOSE without
     * SOCK_DONE). */
    if (k->state == SN_CLOSED && !(atomic_load(&k->shut) & SN_PEER_FIN)) {
        sn_unlock(&k->rx_cons);
        return -ENOTCONN;
    }
    uint8_t c = k->urg_byte;
    if (!(flags & MSG_PEEK))
        atomic_store(&k->urg, SN_URG_READ);
    sn_unlock(&k->rx_cons);
    m->oob = true;
    m->from = k->peer;
    if (!sn_iov_total(m->iov, m->iovcnt)) {
        m->truncated = true;     /* the byte is taken all the same */
        return 0;
    }
    if (!(flags & MSG_TRUNC)) {
        sn_iovc cur;
        sn_iovc_init(&cur, m->iov, m->iovcnt);
        sn_iovc_write(&cur, &c, 1);
    }
    return 1;
}

uint32_t sn_urg_inq(const sn_sock *k, uint32_t used)
{
    if (!atomic_load(&k->urg) || !out_of_line(k))
        return used;
    uint32_t off = k->urg_seq - atomic_load(&k->rx.out);
    return off < used ? off : used;
}

int sn_urg_poll(const sn_sock *k, uint32_t used, uint32_t lowat)
{
    uint8_t u = atomic_load(&k->urg);
    int m = u == SN_URG_VALID ? POLLPRI : 0;
    if (u && out_of_line(k) && k->urg_seq == atomic_load(&k->rx.out))
        lowat++;                    /* the urgent byte does not count */
    if (used && used >= lowat)
        m |= POLLIN | POLLRDNORM;
    return m;
}

int sn_sock_atmark(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    if (k->type != SOCK_STREAM)
        return -ENOTTY;
    return atomic_load(&k->urg) && k->urg_seq == atomic_load(&k->rx.out);
}
