/* The per-thread count of critical sections (see crit.h). */
#include "core/crit.h"

SN_TLS unsigned              sn_crit;
SN_TLS volatile sig_atomic_t sn_crit_pending;
