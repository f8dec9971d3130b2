#!/usr/bin/env python3
"""A minimal TCP service: PORT from the environment, a clean exit on SIGTERM/SIGINT, and,
as PID 1, it reaps the orphans the kernel hands it."""
import os
import signal
import socket
import sys


def say(text):
    # Straight to the file descriptor: a handler that prints could land inside another
    # print's buffered write and fail with "reentrant call".
    os.write(1, (text + "\n").encode())


def stop(signum, _frame):
    say("stopping on %s" % signal.Signals(signum).name)
    sys.exit(0)


def reap(_signum, _frame):
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def main():
    port = os.environ.get("PORT")
    if not port:
        print("fatal: PORT is not set", file=sys.stderr, flush=True)
        return 78
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGCHLD, reap)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", int(port)))
    server.listen(16)
    say("listening on port %s" % port)
    while True:
        conn, _ = server.accept()
        conn.sendall(b"ok\n")
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
