"""A TCP relay that counts connections and bytes, in a process of its own.

``python bench/relay.py PORT`` listens on a free loopback port, prints it, and
relays every connection to 127.0.0.1:PORT byte for byte, counting what goes up
(client to server) and down. Each line on stdin is answered with the counts so
far as one JSON line; it stops at the end of stdin. In its own process so that
its work never counts as the measured client's CPU.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

CHUNK = 65536


class Counts:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections = self.up = self.down = 0

    def add(self, up: int = 0, down: int = 0, connections: int = 0) -> None:
        with self.lock:
            self.up, self.down = self.up + up, self.down + down
            self.connections += connections

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return {"connections": self.connections, "up": self.up, "down": self.down}


def pump(source: socket.socket, sink: socket.socket, counts: Counts, up: bool) -> None:
    try:
        while data := source.recv(CHUNK):
            sink.sendall(data)
            counts.add(up=len(data)) if up else counts.add(down=len(data))
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def serve(listener: socket.socket, port: int, counts: Counts) -> None:
    while True:
        client, _ = listener.accept()
        try:
            server = socket.create_connection(("127.0.0.1", port))
        except OSError:
            client.close()
            continue
        for sock in (client, server):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        counts.add(connections=1)
        for a, b, up in ((client, server, True), (server, client, False)):
            threading.Thread(target=pump, args=(a, b, counts, up), daemon=True).start()


def main() -> None:
    upstream = int(sys.argv[1])
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    counts = Counts()
    threading.Thread(target=serve, args=(listener, upstream, counts), daemon=True).start()
    print(listener.getsockname()[1], flush=True)
    for _ in sys.stdin:
        print(json.dumps(counts.snapshot()), flush=True)


class Relay:
    """bench/relay.py in front of ``port``: ``port`` is its own; ``counts()`` asks it."""

    def __init__(self, upstream: int) -> None:
        argv = [sys.executable, str(Path(__file__).resolve()), str(upstream)]
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())

    def counts(self) -> dict[str, int]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        answer: dict[str, int] = json.loads(self.process.stdout.readline())
        return answer

    def stop(self) -> None:
        from syncd.demo import stop_process

        if self.process.stdin is not None:
            self.process.stdin.close()
        stop_process(self.process)


if __name__ == "__main__":
    main()
