#!/usr/bin/env bash
# The simnet launcher, from the source tree and from an installed tree
# (make install DESTDIR=... PREFIX=/usr): run gives a command a fresh
# network and returns its exit status, removes the network afterwards
# unless --keep; -n shares a named network with processes started
# elsewhere; ls lists networks and sockets; --help, --version; bad
# arguments give one line and status 2.
. "$(dirname "$0")/lib.bash"

repo=$(cd "$it_here/../.." && pwd)
root=$IT_DIR/root
make -s -C "$repo" install DESTDIR="$root" PREFIX=/usr >"$IT_DIR/install.out" 2>&1 ||
    { show "$IT_DIR/install.out"; fail "make install failed"; }
for f in usr/bin/simnet usr/lib/simnet/libsimnet.so usr/lib/simnet/simnet-inspect usr/lib/simnet/simnet-capture \
         usr/share/man/man1/simnet.1 usr/share/man/man7/libsimnet.7; do
    [ -e "$root/$f" ] || fail "make install did not install $f"
done

export SIMNET_DIR=$IT_DIR
for simnet in "$repo/scripts/simnet" "$root/usr/bin/simnet"; do
    # A server and a client inside one run; the command's status comes back.
    "$simnet" run -- "$PY" -c '
import socket, sys
l = socket.socket(); l.bind(("127.0.0.1", 80)); l.listen()
c = socket.create_connection(("127.0.0.1", 80)); s, _ = l.accept()
c.sendall(b"through the launcher"); sys.exit(7 if s.recv(64) == b"through the launcher" else 1)
' >"$IT_DIR/run.out" 2>&1
    rc=$?
    [ "$rc" = 7 ] || { show "$IT_DIR/run.out"; fail "$simnet run returned $rc, expected the command's 7"; }
    ls "$IT_DIR"/run-*.arena >/dev/null 2>&1 && fail "$simnet run left its network behind"

    # --keep and -n: a named network outlives the run and is listed.
    "$simnet" run -n keep-me --keep -- "$PY" -c 'import socket; socket.socket().bind(("127.0.0.1", 9))' ||
        fail "$simnet run -n --keep failed"
    [ -f "$IT_DIR/keep-me.arena" ] || fail "$simnet run --keep removed the network"
    rm -f "$IT_DIR/keep-me.arena"

    # ls: sockets of a live network, with their state and pid.
    bg "$IT_DIR/srv.out" "$IT_NET" "$PY" "$PEERS" tcp-echo-server 127.0.0.1 0
    spid=$BG_PID
    wait_line "$IT_DIR/srv.out" '^ready' "$spid"
    "$simnet" ls -n "$IT_NET" >"$IT_DIR/ls.out" 2>&1 || { show "$IT_DIR/ls.out"; fail "$simnet ls -n failed"; }
    grep -Eq '^tcp +LISTEN .*127\.0\.0\.1:[0-9]+' "$IT_DIR/ls.out" ||
        { show "$IT_DIR/ls.out"; fail "$simnet ls -n shows no listener"; }
    "$simnet" ls >"$IT_DIR/ls-all.out" 2>&1 || fail "$simnet ls failed"
    grep -q "^$IT_NET " "$IT_DIR/ls-all.out" || { show "$IT_DIR/ls-all.out"; fail "$simnet ls does not list $IT_NET"; }
    kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null

    "$simnet" --help | grep -q '^usage: simnet run' || fail "$simnet --help shows no usage"
    "$simnet" --version | grep -Eq '^simnet [0-9]+\.[0-9]+' || fail "$simnet --version"
    for miss in "/nonexistent/cmd:127" "no-such-command-here:127" "/tmp:126"; do
        out=$("$simnet" run -- "${miss%:*}" 2>&1 >/dev/null); rc=$?
        [ "$rc" = "${miss##*:}" ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && [[ "$out" == simnet:* ]] ||
            fail "$simnet run -- ${miss%:*}: status $rc, expected ${miss##*:} and one 'simnet: ...' line, got: $out"
    done
    for bad in "frobnicate" "run" "run --bogus -- true" "run -n ../x -- true" "ls -n nosuch"; do
        # shellcheck disable=SC2086
        out=$("$simnet" $bad 2>&1 >/dev/null); rc=$?
        [ "$rc" = 2 ] || fail "$simnet $bad: status $rc, expected 2"
        [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && [[ "$out" == simnet:* ]] ||
            fail "$simnet $bad: expected one 'simnet: ...' line, got: $out"
    done

    # The command reads the launcher's standard input (a background job
    # of a script's shell would get /dev/null).
    [ "$(echo "piped in" | "$simnet" run -- cat)" = "piped in" ] ||
        fail "$simnet run: the command did not read standard input"
    # SIGINT (Ctrl-C) reaches the command, though the launcher starts it
    # as a background job (which a script's shell starts with SIGINT
    # ignored): it ends at once with the signal's status.
    "$PY" - "$simnet" <<'PYEOF' || fail "$simnet run: SIGINT did not reach the command"
import signal, subprocess, sys, time
p = subprocess.Popen([sys.argv[1], "run", "--", "sleep", "8"],
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
time.sleep(1)
t = time.time()
p.send_signal(signal.SIGINT)
rc = p.wait(timeout=6)
print("SIGINT: status", rc, "after %.1f s" % (time.time() - t))
sys.exit(0 if rc == 130 and time.time() - t < 3 else 1)
PYEOF
done
echo "launcher: run, --keep, -n, ls, --help, --version, usage errors, SIGINT; source and installed trees"
echo ok
