# The namespace oracle's agent: one process per namespace, started by the Rust harness as
# `ip netns exec NS python3 -u -c <this file>`. The first stdin line is its JSON configuration;
# it prints `ready` once its sockets are bound. Host and balancer agents run until stdin closes.
#
# Roles:
# - host: TCP and UDP listeners on every given port (0.0.0.0). TCP: send `<name>\n` on accept,
#   keep the connection until the peer closes it (the prober resets it), so that no side is
#   left in TIME_WAIT. UDP: answer every datagram with `<name>`.
# - lb: the load balancer's listeners. Each accepted connection (or datagram) is forwarded to
#   every healthy target at once, from the balancer's private address, once per ephemeral
#   interval (a source port from each); the first answer wins and is relayed as
#   `<lb>><answer>`. No answer: the client connection is reset (TCP) or nothing is sent (UDP).
# - prober: reads one JSON request a line, `{"timeout": s, "attempts": [[src, sport, dst,
#   proto, port], ...]}`, runs all attempts concurrently and prints one JSON line: the answer
#   (banner) of each attempt, or null.
#
# Only the standard library: this runs wherever python3 does.

import errno
import itertools
import json
import os
import resource
import selectors
import socket
import struct
import sys
import threading
import time

LINGER_RESET = struct.pack("ii", 1, 0)


def reset_close(s):
    """Close with RST: no TIME_WAIT, so four-tuples can be reused at once."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def exit_on_stdin_eof():
    def watch():
        try:
            while sys.stdin.readline():
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def ready():
    sys.stdout.write("ready\n")
    sys.stdout.flush()


# ---------------------------------------------------------------------------------------------
# host


def host(cfg):
    name = cfg["name"].encode()
    sel = selectors.DefaultSelector()
    for port in cfg["ports"]:
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind(("0.0.0.0", port))
        t.listen(512)
        t.setblocking(False)
        sel.register(t, selectors.EVENT_READ, "accept")
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("0.0.0.0", port))
        u.setblocking(False)
        sel.register(u, selectors.EVENT_READ, "udp")
    ready()
    exit_on_stdin_eof()
    open_until = {}
    while True:
        for key, _ in sel.select(timeout=1.0):
            s = key.fileobj
            if key.data == "accept":
                try:
                    c, _ = s.accept()
                except OSError:
                    continue
                c.setblocking(False)
                try:
                    c.send(name + b"\n")
                except OSError:
                    reset_close(c)
                    continue
                sel.register(c, selectors.EVENT_READ, "conn")
                open_until[c] = time.monotonic() + 10.0
            elif key.data == "udp":
                try:
                    _, addr = s.recvfrom(2048)
                    s.sendto(name, addr)
                except OSError:
                    pass
            else:
                try:
                    data = s.recv(1024)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(s)
                    open_until.pop(s, None)
                    reset_close(s)
        now = time.monotonic()
        for c in [c for c, t in open_until.items() if t < now]:
            sel.unregister(c)
            del open_until[c]
            reset_close(c)


# ---------------------------------------------------------------------------------------------
# lb


class SourcePorts:
    """Picks the balancer's source port in each ephemeral interval, so that concurrent
    forwards never share a four-tuple (a port is held until its forward is over)."""

    def __init__(self, intervals, avoid):
        self.intervals = intervals
        self.avoid = avoid
        self.counter = itertools.count()
        self.locks = {}
        self.guard = threading.Lock()

    def _lock(self, key):
        with self.guard:
            return self.locks.setdefault(key, threading.Lock())

    def acquire(self, proto):
        """One (port, lock) per interval; intervals made only of avoided ports are skipped."""
        held = []
        for lo, hi in self.intervals:
            n = hi - lo + 1
            start = next(self.counter)
            usable = [
                lo + (start + i) % n
                for i in range(min(n, 512))
                if (proto, lo + (start + i) % n) not in self.avoid
            ]
            if not usable:
                continue
            for port in usable:
                lock = self._lock((proto, port))
                if lock.acquire(blocking=False):
                    held.append((port, lock))
                    break
            else:
                lock = self._lock((proto, usable[0]))
                lock.acquire()
                held.append((usable[0], lock))
        return held


def forward_tcp(cfg, ports, targets, conn):
    name = cfg["name"].encode()
    private = cfg["private_ip"]
    held = ports.acquire("tcp")
    sel = selectors.DefaultSelector()
    attempts = []
    winner = None
    answer = b""
    try:
        for port, _ in held:
            for ip, tport in targets:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.setblocking(False)
                attempts.append(s)
                try:
                    s.bind((private, port))
                except OSError:
                    continue
                err = s.connect_ex((ip, tport))
                if err in (0, errno.EINPROGRESS):
                    sel.register(s, selectors.EVENT_WRITE, "connect")
        deadline = time.monotonic() + cfg["target_timeout"]
        buffers = {}
        while winner is None and sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in sel.select(timeout=left):
                s = key.fileobj
                if key.data == "connect":
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                        sel.unregister(s)
                    else:
                        sel.modify(s, selectors.EVENT_READ, "read")
                else:
                    try:
                        data = s.recv(1024)
                    except OSError:
                        data = b""
                    if not data:
                        sel.unregister(s)
                        continue
                    buffers[s] = buffers.get(s, b"") + data
                    if b"\n" in buffers[s]:
                        winner = s
                        answer = buffers[s]
                        break
        sel.close()
        for s in attempts:
            if s is not winner:
                reset_close(s)
        if winner is not None:
            try:
                conn.settimeout(10.0)
                conn.sendall(name + b">" + answer)
                conn.recv(1024)  # until the prober resets the connection
            except OSError:
                pass
            reset_close(winner)
        reset_close(conn)
    finally:
        for _, lock in held:
            lock.release()


def forward_udp(cfg, ports, targets, listener, client):
    name = cfg["name"].encode()
    private = cfg["private_ip"]
    held = ports.acquire("udp")
    sel = selectors.DefaultSelector()
    sockets = []
    wanted = {(ip, tport) for ip, tport in targets}
    try:
        for port, _ in held:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setblocking(False)
            sockets.append(s)
            try:
                s.bind((private, port))
            except OSError:
                continue
            for ip, tport in targets:
                try:
                    s.sendto(b"probe", (ip, tport))
                except OSError:
                    pass
            sel.register(s, selectors.EVENT_READ)
        deadline = time.monotonic() + cfg["target_timeout"]
        answer = None
        while answer is None and sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in sel.select(timeout=left):
                try:
                    data, addr = key.fileobj.recvfrom(2048)
                except OSError:
                    continue
                if addr in wanted:
                    answer = data
                    break
        sel.close()
        if answer is not None:
            try:
                listener.sendto(name + b">" + answer, client)
            except OSError:
                pass
    finally:
        for s in sockets:
            s.close()
        for _, lock in held:
            lock.release()


def lb(cfg):
    avoid = {(lst["protocol"], lst["port"]) for lst in cfg["listeners"]}
    ports = SourcePorts(cfg["intervals"], avoid)
    loops = []
    for lst in cfg["listeners"]:
        targets = [tuple(t) for t in lst["targets"]]
        if lst["protocol"] == "tcp":
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind(("0.0.0.0", lst["port"]))
            t.listen(512)

            def accept_loop(t=t, targets=targets):
                while True:
                    c, _ = t.accept()
                    threading.Thread(
                        target=forward_tcp, args=(cfg, ports, targets, c), daemon=True
                    ).start()

            loops.append(accept_loop)
        else:
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind(("0.0.0.0", lst["port"]))

            def datagram_loop(u=u, targets=targets):
                while True:
                    _, client = u.recvfrom(2048)
                    threading.Thread(
                        target=forward_udp, args=(cfg, ports, targets, u, client), daemon=True
                    ).start()

            loops.append(datagram_loop)
    for loop in loops:
        threading.Thread(target=loop, daemon=True).start()
    ready()
    exit_on_stdin_eof()
    threading.Event().wait()


# ---------------------------------------------------------------------------------------------
# prober


def run_batch(attempts, timeout):
    """Runs attempts ([src, sport, dst, proto, port]) concurrently; returns answers or None."""
    answers = [None] * len(attempts)
    sel = selectors.DefaultSelector()
    tcp = []
    udp = {}  # (src, sport) -> socket
    udp_wanted = {}  # (src, sport, dst, port) -> index
    for i, (src, sport, dst, proto, port) in enumerate(attempts):
        if proto == "tcp":
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setblocking(False)
            tcp.append(s)
            try:
                s.bind((src, sport))
            except OSError:
                continue
            err = s.connect_ex((dst, port))
            if err in (0, errno.EINPROGRESS):
                sel.register(s, selectors.EVENT_WRITE, ("connect", i))
        else:
            key = (src, sport)
            if key not in udp:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.setblocking(False)
                s.bind(key)
                udp[key] = s
                sel.register(s, selectors.EVENT_READ, ("udp", key))
            udp_wanted[(src, sport, dst, port)] = i
            try:
                udp[key].sendto(b"probe", (dst, port))
            except OSError:
                pass
        if i % 200 == 199:
            time.sleep(0.002)  # let the namespaces' queues drain
    deadline = time.monotonic() + timeout
    buffers = {}
    while sel.get_map():
        left = deadline - time.monotonic()
        if left <= 0:
            break
        for key, _ in sel.select(timeout=left):
            s = key.fileobj
            kind, ref = key.data
            if kind == "connect":
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    sel.unregister(s)
                else:
                    sel.modify(s, selectors.EVENT_READ, ("read", ref))
            elif kind == "read":
                try:
                    data = s.recv(1024)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(s)
                    continue
                buffers[ref] = buffers.get(ref, b"") + data
                if b"\n" in buffers[ref]:
                    answers[ref] = buffers[ref].decode(errors="replace").strip()
                    sel.unregister(s)
                    reset_close(s)  # ends the balancer's forward (and frees its port) at once
            else:
                src, sport = ref
                while True:
                    try:
                        data, (addr, port) = s.recvfrom(2048)
                    except OSError:
                        break
                    i = udp_wanted.get((src, sport, addr, port))
                    if i is not None and answers[i] is None:
                        answers[i] = data.decode(errors="replace")
    sel.close()
    for s in tcp:
        reset_close(s)
    for s in udp.values():
        s.close()
    return answers


def prober(cfg):
    raise_nofile()
    chunk = cfg.get("chunk", 1500)
    ready()
    for line in sys.stdin:
        request = json.loads(line)
        attempts = request["attempts"]
        answers = []
        for start in range(0, len(attempts), chunk):
            answers.extend(run_batch(attempts[start : start + chunk], request["timeout"]))
        sys.stdout.write(json.dumps(answers) + "\n")
        sys.stdout.flush()


def main():
    cfg = json.loads(sys.stdin.readline())
    role = cfg["role"]
    if role == "host":
        host(cfg)
    elif role == "lb":
        lb(cfg)
    elif role == "prober":
        prober(cfg)
    else:
        raise SystemExit("unknown role " + role)


main()
