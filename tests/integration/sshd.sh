#!/usr/bin/env bash
# Real server: OpenSSH's sshd, as root, under the simnet launcher (`simnet
# run -n NET`), on a high port of 127.0.0.1 with a throwaway host key and
# key-only login.  For each connection sshd forks, re-executes itself
# with the accepted socket, and forks a privilege-separated child that
# chroots to /run/sshd, becomes user sshd, shrinks its rlimits (1 fd,
# no file size, no processes), asks for a seccomp filter that would kill
# the process on any system call outside a short list (the library
# refuses it with EINVAL; sshd logs that and goes on), and then speaks the
# protocol on that socket; after authentication another child runs the
# session.
# Preloaded ssh (in the same network) runs a command; preloaded scp
# copies a file up and back down (sha256 checked both ways); a client key
# not in authorized_keys is refused.  Also: nothing listens on the port in
# the kernel (ss -ltn), a plain ssh is refused, the network stays root's
# private one (arena mode 0600), and sshd stops on SIGTERM.  Needs root
# (CI runs as root): skipped, with a message, otherwise.
. "$(dirname "$0")/lib.bash"

if [ "$(id -u)" -ne 0 ]; then
    echo "not root: sshd cannot run its privilege separation (skipped)"
    echo ok
    exit 0
fi
for p in /usr/sbin/sshd ssh scp ssh-keygen sha256sum ss; do
    command -v "$p" >/dev/null || fail "$p is not installed (packages openssh-server, openssh-client, coreutils, iproute2)"
done
id sshd >/dev/null 2>&1 || fail "no user sshd (package openssh-server creates it)"
SIMNET=$(cd "$it_here/../.." && pwd)/scripts/simnet
P=$(free_kernel_port) || fail "no free kernel port"
# The privilege-separated child chroots here (the packaged service makes
# it at start; an empty root-owned directory).
mkdir -p /run/sshd && chmod 0755 /run/sshd || fail "cannot make /run/sshd"

ssh-keygen -q -t ed25519 -N '' -C simnet-host -f "$IT_DIR/host_key" || fail "ssh-keygen (host key)"
ssh-keygen -q -t ed25519 -N '' -C simnet-client -f "$IT_DIR/client_key" || fail "ssh-keygen (client key)"
ssh-keygen -q -t ed25519 -N '' -C simnet-stranger -f "$IT_DIR/other_key" || fail "ssh-keygen (other key)"
cp "$IT_DIR/client_key.pub" "$IT_DIR/authorized_keys"
cat >"$IT_DIR/sshd_config" <<CONF
Port $P
ListenAddress 127.0.0.1
HostKey $IT_DIR/host_key
PidFile $IT_DIR/sshd.pid
AuthorizedKeysFile $IT_DIR/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
PrintMotd no
Subsystem sftp internal-sftp
LogLevel VERBOSE
CONF
/usr/sbin/sshd -t -f "$IT_DIR/sshd_config" >"$IT_DIR/sshd-t.out" 2>&1 ||
    { show "$IT_DIR/sshd-t.out"; fail "sshd -t rejects the configuration"; }

log=$IT_DIR/sshd.out
: >"$log"
# -D: stay in the foreground; -e: log to stderr.  sshd needs its absolute
# path to re-execute itself.
timeout --foreground -k 1 20 env SIMNET_DIR="$IT_DIR" "$SIMNET" run -n "$IT_NET" -- \
    /usr/sbin/sshd -D -e -f "$IT_DIR/sshd_config" >"$log" 2>&1 &
spid=$!
it_pids+=("$spid")
wait_line "$log" "Server listening on 127.0.0.1 port $P" "$spid"

opts=(-F /dev/null -i "$IT_DIR/client_key" -o IdentitiesOnly=yes -o StrictHostKeyChecking=no
      -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=5)
err=$IT_DIR/ssh.err
# (ssh exits 255 on its own errors: not a signal, so no rcstr.)

out=$(sim "$IT_NET" ssh "${opts[@]}" -p "$P" root@127.0.0.1 'echo hello; uname -s' 2>"$err") ||
    { rc=$?; show "$err" "$log"; fail "ssh -p $P root@127.0.0.1 'echo hello; uname -s': status $rc, printed '$out'"; }
[ "$out" = "hello
Linux" ] || { show "$err" "$log"; fail "ssh ran the command and printed '$out', expected 'hello' and 'Linux'"; }
grep -q 'Accepted publickey for root from 127.0.0.1' "$log" ||
    { show "$log"; fail "sshd logged no public key login"; }
# getsockopt(SO_BINDTODEVICE) on a socket bound to no device: Linux
# answers an empty name, not an error.
grep -q 'cannot determine VRF' "$log" && { show "$log"; fail "sshd could not read SO_BINDTODEVICE"; }

# Key-only: a key that is not in authorized_keys gets nowhere.
out=$(sim "$IT_NET" ssh -F /dev/null -i "$IT_DIR/other_key" -o IdentitiesOnly=yes \
      -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
      -p "$P" root@127.0.0.1 true 2>&1)
rc=$?
[ "$rc" = 255 ] && [[ $out == *"Permission denied (publickey)"* ]] ||
    { show "$log"; fail "a key not in authorized_keys: ssh status $rc, '$out'; expected Permission denied (publickey)"; }

# scp both ways (SFTP, sshd's internal-sftp), 1 MiB of random bytes.
head -c 1048576 /dev/urandom >"$IT_DIR/up.src"
sim "$IT_NET" scp -q "${opts[@]}" -P "$P" "$IT_DIR/up.src" "root@127.0.0.1:$IT_DIR/up.dst" >"$IT_DIR/scp.out" 2>&1 ||
    { rc=$?; show "$IT_DIR/scp.out" "$log"; fail "scp upload: status $rc"; }
head -c 1048576 /dev/urandom >"$IT_DIR/down.src"
sim "$IT_NET" scp -q "${opts[@]}" -P "$P" "root@127.0.0.1:$IT_DIR/down.src" "$IT_DIR/down.dst" >"$IT_DIR/scp.out" 2>&1 ||
    { rc=$?; show "$IT_DIR/scp.out" "$log"; fail "scp download: status $rc"; }
for f in up down; do
    a=$(sha256sum <"$IT_DIR/$f.src") b=$(sha256sum <"$IT_DIR/$f.dst" 2>/dev/null)
    [ "$a" = "$b" ] || fail "scp $f: the copy differs from the source (sha256 ${a%% *} vs ${b%% *})"
done

# The kernel has no listener on P, and a plain client cannot reach it.
ss -Hltn >"$IT_DIR/ss" 2>&1 || fail "ss -ltn failed"
kernel_has_port "$P" "$IT_DIR/ss" && { show "$IT_DIR/ss"; fail "ss -ltn shows a kernel listener on sshd's port $P"; }
out=$(timeout 10 ssh "${opts[@]}" -p "$P" root@127.0.0.1 true 2>&1)
case $out in
*"$(plain_refusal)"*) ;;
*) fail "ssh without the preload got '$out' from port $P, expected $(plain_refusal)" ;;
esac

check_arena
mode=$(stat -c %a "$IT_DIR/$IT_NET.arena")
[ "$mode" = 600 ] || fail "the arena has mode $mode, expected 600 (private)"

sshd_pid=$(cat "$IT_DIR/sshd.pid" 2>/dev/null)
[ -n "$sshd_pid" ] && kill -TERM "$sshd_pid" 2>/dev/null || { show "$log"; fail "no sshd to stop (pid file: '$sshd_pid')"; }
for _ in $(seq 1 100); do kill -0 "$spid" 2>/dev/null || break; sleep 0.02; done
kill -0 "$spid" 2>/dev/null && { show "$log"; fail "sshd did not stop on SIGTERM"; }
echo "port $P: ssh ran a command, key-only login, scp 1 MiB up and down (sha256 equal); not in ss"
echo ok
