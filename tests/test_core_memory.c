/* Unit tests of the arena's memory reservations (core/arena.c): an arena
 * file on a small tmpfs of our own runs out of room, and every allocation
 * then fails cleanly (0, -ENOBUFS, -ENOMEM, -ENOSPC) instead of the
 * process dying of SIGBUS at its first store into a page the file system
 * has no room for.  Every block handed out is written whole, so a block
 * given without its memory would crash the test.
 *
 * Mounting needs root (CI runs as root); elsewhere the tests are skipped. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/bell.h"
#include "core/heap.h"
#include "tests/test_core_util.h"

#define RING (256u << 10)

static char dir[] = "/tmp/simnet-memtest.XXXXXX";
static char path[sizeof dir + 16];
static bool mounted;

/* A tmpfs of `size` bytes at `dir`; the test is skipped without root. */
static void mount_fs(const char *size)
{
    cr_assert(mkdtemp(dir) != NULL);
    char opt[32];
    snprintf(opt, sizeof opt, "size=%s", size);
    if (mount("simnet-memtest", dir, "tmpfs", 0, opt) < 0) {
        rmdir(dir);
        cr_skip_test("cannot mount a tmpfs (%s): needs root", strerror(errno));
    }
    mounted = true;
    snprintf(path, sizeof path, "%s/t.arena", dir);
}

static void teardown(void)
{
    if (mounted) {
        umount2(dir, MNT_DETACH);
        rmdir(dir);
    }
}

TestSuite(core_memory, .fini = teardown, .timeout = 20);

static void open_arena(sn_arena *a)
{
    char err[300];
    int r = sn_net_open(a, path, 0, SN_ARENA_CREATE | SN_ARENA_ATTACH, err, sizeof err);
    cr_assert_eq(r, 0, "sn_net_open: %d %s", r, err);
}

/* A block of `size` written whole, reserved as a ring's writer does
 * (core/heap.h); 0 when there is no room for all of it. */
static uint64_t take_full(sn_arena *a, uint32_t size)
{
    sn_ring r;
    memset(&r, 0, sizeof r);
    uint64_t off = sn_heap_alloc(a, size, &r.room);
    if (!off)
        return 0;
    cr_assert_geq(r.room, 4096, "a block comes with its first page");
    r.off = off;
    r.cap = size;
    uint32_t n = sn_ring_writable(a, &r, size);
    memset(a->heap + off, 0xa5, n);
    if (n < size) {
        cr_assert_eq(n, r.room, "what may be written is what is reserved");
        sn_heap_free(a, off, size, r.room);
        return 0;
    }
    cr_assert_eq(r.room, size);
    return off;
}

/* Take blocks of `size` until none is left. */
static int fill(sn_arena *a, uint32_t size, uint64_t *offs, int max)
{
    int n = 0;
    while (n < max && (offs[n] = take_full(a, size)))
        n++;
    return n;
}

static uint64_t fs_free(void)
{
    struct statvfs v;
    cr_assert_eq(statvfs(dir, &v), 0);
    return (uint64_t)v.f_bavail * v.f_frsize;
}

Test(core_memory, heap_alloc_fails_cleanly_on_a_full_file_system)
{
    mount_fs("3m");
    sn_arena a;
    open_arena(&a);
    uint64_t offs[64];
    int n = fill(&a, RING, offs, 64);
    /* 3 MiB less the fixed tables (under 1 MiB): a handful, not 64. */
    cr_assert(n >= 4 && n < 12, "%d rings of 256 KiB in 3 MiB", n);
    cr_assert_lt(fs_free(), RING, "the file system is not full: %llu free",
                 (unsigned long long)fs_free());
    cr_assert_gt(atomic_load(&a.room.fails), 0);
    cr_assert_str_eq(a.room.what, "a ring");
    cr_assert(a.room.err == EFAULT || a.room.err == ENOMEM, "err %d", a.room.err);
    cr_assert_eq(take_full(&a, RING), 0, "still no room");
    /* A freed block is kept resident and taken again with all its room. */
    sn_heap_free(&a, offs[1], RING, RING);
    uint32_t room;
    uint64_t again = sn_heap_alloc(&a, RING, &room);
    cr_assert_eq(again, offs[1]);
    cr_assert_eq(room, RING);
    memset(a.heap + again, 1, RING);
    sn_arena_close(&a);
}

Test(core_memory, blocks_given_back_are_reserved_again)
{
    mount_fs("3m");
    sn_arena a;
    open_arena(&a);
    a.hdr->heap_keep = 0;       /* every free gives its pages back */
    uint64_t offs[64];
    int n = fill(&a, RING, offs, 64);
    cr_assert_gt(n, 2);
    for (int i = 0; i < n; i++)
        sn_heap_free(&a, offs[i], RING, RING);
    /* Their pages (all but the first of each) are back in the file
     * system: a larger block fits at the top of the heap... */
    cr_assert_neq(take_full(&a, 2 * RING), 0, "the freed rings' memory did not come back");
    /* ... and the holes are reserved again before they are handed out:
     * fewer fit now, each written whole. */
    int m = fill(&a, RING, offs, 64);
    cr_assert(m >= 1 && m <= n - 2, "%d rings again (first %d)", m, n);
    cr_assert_eq(take_full(&a, RING), 0);
    sn_arena_close(&a);
}

Test(core_memory, kept_blocks_of_other_sizes_are_given_back_when_needed)
{
    mount_fs("3m");
    sn_arena a;
    open_arena(&a);
    uint64_t offs[64];
    int n = fill(&a, RING, offs, 64);
    cr_assert_gt(n, 4);
    for (int i = 0; i < n; i++)
        sn_heap_free(&a, offs[i], RING, RING);   /* kept: under heap_keep */
    cr_assert_geq(a.hdr->heap_kept, (uint64_t)n * RING);
    /* No 1 MiB block is free and the file system is full of kept 256 KiB
     * ones: they are given back, and the 1 MiB block found room. */
    cr_assert_neq(take_full(&a, 4 * RING), 0);
    cr_assert_eq(a.hdr->heap_kept, 0);
    sn_arena_close(&a);
}

Test(core_memory, socket_and_doorbell_tables_fail_with_enobufs_and_enomem)
{
    mount_fs("2m");
    sn_arena a;
    open_arena(&a);
    uint64_t rings[64], pages[64];
    cr_assert_gt(fill(&a, 4096, pages, 1), 0);
    cr_assert_gt(fill(&a, RING, rings, 64), 0);
    fill(&a, 4096, pages + 1, 63);      /* the last pages, if any */
    cr_assert_lt(fs_free(), 4096);
    int s = sn_sock_create(&a, AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(s, -ENOBUFS, "socket on a full file system: %d", s);
    cr_assert_str_eq(a.room.what, "the socket table");
    int b = sn_bell_alloc(&a, true);
    cr_assert_eq(b, -ENOMEM, "doorbell on a full file system: %d", b);
    /* A kept 4 KiB block is not given back (it is all first page)... */
    sn_heap_free(&a, pages[0], 4096, 4096);
    cr_assert_eq(sn_sock_create(&a, AF_INET, SOCK_STREAM, 0), -ENOBUFS);
    /* ... a kept ring is, when a table finds no room: both grow again. */
    sn_heap_free(&a, rings[0], RING, RING);
    s = sn_sock_create(&a, AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(s, 0, "socket once a ring was freed: %d", s);
    b = sn_bell_alloc(&a, true);
    cr_assert_gt(b, 0, "doorbell once a ring was freed: %d", b);
    sn_bell_free(&a, b);
    sn_sock_release(&a, s);
    sn_arena_close(&a);
}

Test(core_memory, no_room_for_the_arena_itself)
{
    mount_fs("256k");
    sn_arena a;
    char err[300];
    int r = sn_net_open(&a, path, 0, SN_ARENA_CREATE | SN_ARENA_ATTACH, err, sizeof err);
    cr_assert_eq(r, -ENOSPC);
    cr_assert(strstr(err, "no room for network") && strstr(err, "file system is full"),
              "message: %s", err);
    /* Emptied again, so that the next process makes it afresh... */
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_size, 0);
    /* ... as it does once there is room. */
    cr_assert_eq(mount(NULL, dir, NULL, MS_REMOUNT, "size=2m"), 0);
    open_arena(&a);
    int s = sn_sock_create(&a, AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(s, 0);
    sn_sock_release(&a, s);
    sn_arena_close(&a);
}
