#!/usr/bin/env bash
# A program's own seccomp filter cannot work under the library (it would
# kill the process at the library's own system calls): prctl(PR_SET_SECCOMP,
# SECCOMP_MODE_FILTER) and seccomp(SECCOMP_SET_MODE_FILTER) through
# syscall(3) answer EINVAL, no filter of the program's is in place (the
# one there, if any, is the library's trap), and the process goes on
# and talks TCP; SIMNET_DEBUG says why.  The same program on the kernel
# (the control) installs the filter and dies by SIGSYS at its socket call:
# the filter really is one.  Not a differential probe: the two runs differ
# by design.
. "$(dirname "$0")/lib.bash"

k=$("$PY" "$it_here/seccomp.py" 2>&1)
case $k in skip:*) echo "$k"; echo ok; exit 0 ;; esac
want_k="prctl: ret=0 errno=-
prctl: PR_GET_SECCOMP=2
prctl child killed by SIGSYS
seccomp: ret=0 errno=-
seccomp: PR_GET_SECCOMP=2
seccomp child killed by SIGSYS"
[ "$k" = "$want_k" ] || fail "on the kernel (the control) the filter did not work as expected: '$k'"

dbg=$IT_DIR/debug.log
s=$(sim "$IT_NET" env SIMNET_DEBUG="$dbg" "$PY" "$it_here/seccomp.py" 2>&1) || fail "under the library: status $?: '$s'"
# PR_GET_SECCOMP says 0: the program's filter is not in place, and the
# library's own trap goes in only at the first inet socket (preload/trap.c).
want_s="prctl: ret=-1 errno=Invalid argument
prctl: PR_GET_SECCOMP=0
prctl after the filter: TCP got ping
prctl child exit 0
seccomp: ret=-1 errno=Invalid argument
seccomp: PR_GET_SECCOMP=0
seccomp after the filter: TCP got ping
seccomp child exit 0"
[ "$s" = "$want_s" ] || fail "under the library: got '$s', expected '$want_s'"
for how in 'prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)' 'seccomp(SECCOMP_SET_MODE_FILTER)'; do
    grep -qF "$how: a seccomp filter would stop the library's own system calls; refused with EINVAL" "$dbg" ||
        { show "$dbg"; fail "no SIMNET_DEBUG line for $how"; }
done
check_arena
echo "the kernel kills the filtered child; under the library both ways answer EINVAL and TCP works"
echo ok
