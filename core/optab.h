/* The table of options that only need remembering (optab.c). */
#ifndef SN_OPTAB_H
#define SN_OPTAB_H

#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* Option names older headers lack (Linux's numbers). */
#ifndef UDPLITE_SEND_CSCOV
#define UDPLITE_SEND_CSCOV 10
#define UDPLITE_RECV_CSCOV 11
#endif

#ifndef SO_TIMESTAMP_NEW
#define SO_TIMESTAMP_NEW 63
#define SO_TIMESTAMPNS_NEW 64
#define SO_TIMESTAMPING_NEW 65
#endif
#ifndef SO_RCVTIMEO_NEW
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67
#endif
#ifndef SO_RESERVE_MEM
#define SO_RESERVE_MEM 73
#endif
#ifndef SO_TXREHASH
#define SO_TXREHASH 74
#endif
#ifndef IPV6_ADDR_PREFERENCES
#define IPV6_ADDR_PREFERENCES 72
#endif
#ifndef IPV6_UNICAST_IF
#define IPV6_UNICAST_IF 76
#endif

enum { SN_OT_STREAM = 1, SN_OT_DGRAM = 2 };

/* What getsockopt answers. */
enum {
    SN_OG_NONE,     /* ENOPROTOOPT: only settable */
    SN_OG_INT,      /* the stored value, or the default */
    SN_OG_EMPTY,    /* success, nothing written (length 0) */
    SN_OG_ZEROS,    /* `size` zero bytes, or as many as asked for */
    SN_OG_ERR,      /* the error gerr */
};

/* What setsockopt does with it. */
enum {
    SN_OS_NONE,     /* ENOPROTOOPT */
    SN_OS_BOOL,     /* kept as 0 or 1 */
    SN_OS_RANGE,    /* kept if lo <= value <= hi, else EINVAL */
    SN_OS_ACCEPT,   /* accepted (if lo..hi is not 0..0, only in it),
                       not kept */
    SN_OS_ERR,      /* the error serr */
};

typedef struct sn_optdef {
    int16_t level, name;
    uint8_t types;          /* SN_OT_* */
    uint8_t get, set;       /* SN_OG_*, SN_OS_* */
    uint8_t minlen;         /* a shorter setsockopt value is EINVAL */
    int16_t gerr, serr;     /* positive errno */
    int16_t size;           /* SN_OG_ZEROS */
    int32_t def, lo, hi;
} sn_optdef;

/* The entry for an option of a socket of this type, or NULL. */
const sn_optdef *sn_optdef_find(int level, int name, int type);

#endif
