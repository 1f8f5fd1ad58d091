/*
 * harness.h — helpers shared by the Criterion test programs.
 *
 * The central piece is run_capture(): run a program (typically a probe
 * from build/probes) with a time limit and collect its output, either
 * directly on the kernel or under the simulation.  The simulation is only
 * ever activated in the CHILD's environment: the test process itself must
 * never run with LD_PRELOAD, because Criterion talks to its worker
 * processes over real sockets.
 */
#ifndef SIMNET_TESTS_HARNESS_H
#define SIMNET_TESTS_HARNESS_H

#include <stddef.h>

/* Special results of run_capture (ordinary results are >= 0: the exit
 * code, or 128 + signal number when the program was killed). */
#define RUN_ERROR   (-1) /* could not even start (pipe/fork/mkdtemp...) */
#define RUN_TIMEOUT (-2) /* still running after timeout_s: killed */

/* `preload` value for the kernel side of a differential test: a plain
 * kernel run, in the network namespace named by $SIMNET_ORACLE_NETNS when
 * it is set (the isolated pass of scripts/run-tests runs the suites where
 * the kernel's network is down, but the oracle needs a loopback). */
#define RUN_ORACLE 2

/*
 * Run argv[0] (an absolute or cwd-relative path, not searched in $PATH)
 * with stdin from /dev/null and stdout+stderr captured together, in
 * order, into *out (malloc'd, NUL-terminated; *outlen bytes without the
 * NUL).  If preload is non-zero the child's environment gets
 *     LD_PRELOAD=<repo root>/build/libsimnet.so
 *     SIMNET_NETWORK=<network, or a fresh unique_network() if NULL>
 *     SIMNET_DIR=<a private temporary directory, removed afterwards>
 * Without preload those variables are removed from the child's
 * environment, so a kernel run is never accidentally simulated.
 *
 * The child runs in its own process group; after timeout_s seconds the
 * whole group is killed with SIGKILL (by id) and RUN_TIMEOUT returned.
 * The child starts with all signals unblocked and at default disposition.
 */
int run_capture(char *const argv[], int preload, const char *network,
                int timeout_s, char **out, size_t *outlen);

/* Same, but stderr is captured separately into *err / *errlen. */
int run_capture_split(char *const argv[], int preload, const char *network,
                      int timeout_s, char **out, size_t *outlen, char **err,
                      size_t *errlen);

/* A network name unique per call and per process: "<tag>-<pid>-<n>".
 * malloc'd. */
char *unique_network(const char *tag);

/* Repository root: $SIMNET_ROOT if set, else the current directory
 * (`make test` runs from the root).  Never NULL; do not free. */
const char *repo_root(void);

/* "<repo root>/<printf-formatted relative path>", malloc'd. */
char *repo_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Human-readable form of a run_capture result ("exit 0", "signal 11
 * (SIGSEGV)", "timeout", ...).  Returns a static buffer. */
const char *run_status_str(int status);

/* Unified diff of two texts (labels name the two sides), as produced by
 * `diff -u`; malloc'd.  Empty string if they are equal. */
char *text_diff(const char *label_a, const char *a, const char *label_b,
                const char *b);

#endif /* SIMNET_TESTS_HARNESS_H */
