#!/usr/bin/env python3
"""blackhole.py: a database host that died without refusing anything.

    blackhole.py PORT [UNIX_SOCKET] [--silent] [--bind=ADDRESS]

Listens on 127.0.0.1:PORT (or ADDRESS:PORT). Without UNIX_SOCKET every connection is
accepted and then ignored: nothing is read, written or closed (the
kernel still ACKs what is sent, as a host behind a stateful middlebox
or a frozen VM does). With UNIX_SOCKET (a PostgreSQL socket) it is a
relay to that server that can go silent:
    SIGUSR1  silent: established connections freeze mid-stream (nothing
             more relayed either way, nothing closed); new ones are
             accepted and ignored
    SIGUSR2  back: frozen connections are reset (a rebooted host knows
             them no more) and new ones are relayed again
--silent starts it silent. Prints "ready" once listening, and on each
switch "silent" or "relaying". Stops on SIGTERM.
"""
import selectors
import signal
import socket
import struct
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
port = int(args[0])
target = args[1] if len(args) > 1 else None
silent = target is None or "--silent" in sys.argv
addr = "127.0.0.1"
for a in sys.argv[1:]:
    if a.startswith("--bind="):
        addr = a[len("--bind="):]
want = [silent]

sel = selectors.DefaultSelector()
frozen = []  # sockets kept open and ignored
peer = {}    # relayed socket -> its other end

lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind((addr, port))
lsock.listen(256)
sel.register(lsock, selectors.EVENT_READ)


def on_signal(signum, _frame):
    if target is not None:
        want[0] = signum == signal.SIGUSR1


signal.signal(signal.SIGUSR1, on_signal)
signal.signal(signal.SIGUSR2, on_signal)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print("ready", flush=True)


def close_pair(s):
    o = peer.pop(s, None)
    for x in (s, o):
        if x is None:
            continue
        peer.pop(x, None)
        try:
            sel.unregister(x)
        except (KeyError, ValueError):
            pass
        x.close()


while True:
    if want[0] != silent:
        silent = want[0]
        if silent:
            for s in list(peer):
                sel.unregister(s)
                frozen.append(s)
            peer.clear()
        else:
            for s in frozen:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
                s.close()
            frozen.clear()
        print("silent" if silent else "relaying", flush=True)
    for key, _ in sel.select(0.05):
        s = key.fileobj
        if s is lsock:
            c, _ = lsock.accept()
            if silent:
                frozen.append(c)
                continue
            u = socket.socket(socket.AF_UNIX)
            try:
                u.connect(target)
            except OSError:
                c.close()
                continue
            peer[c], peer[u] = u, c
            sel.register(c, selectors.EVENT_READ)
            sel.register(u, selectors.EVENT_READ)
            continue
        if s not in peer:
            continue
        try:
            data = s.recv(65536)
            if data:
                peer[s].sendall(data)
        except OSError:
            data = b""
        if not data:
            close_pair(s)
