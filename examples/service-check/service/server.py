#!/usr/bin/env python3
"""A service that finishes its work on SIGTERM and reaps what it adopts as PID 1."""
import os
import signal
import sys
import time


def say(text):
    # Straight to the file descriptor: a handler that prints could land inside another
    # print's buffered write and fail with "reentrant call".
    os.write(1, (text + "\n").encode())


def stop(signum, _frame):
    say("draining, then exiting on %s" % signal.Signals(signum).name)
    sys.exit(0)


def reap(_signum, _frame):
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


# With PORT set, it also listens there (a readiness port; connections are accepted by
# the kernel's backlog, nothing is served).
if os.environ.get("PORT"):
    import socket

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", int(os.environ["PORT"])))
    listener.listen(16)

signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGCHLD, reap)
say("service ready")
while True:
    time.sleep(3600)
