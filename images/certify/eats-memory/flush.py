#!/usr/bin/env python3
"""Hold 384 MiB (under a 512 MiB limit); on SIGTERM/SIGINT allocate until OOM-killed."""
import os
import signal

CHUNK = 32 << 20
held = [b"x" * CHUNK for _ in range(12)]


def flush(signum, _frame):
    os.write(1, ("flushing on %s\n" % signal.Signals(signum).name).encode())
    while True:
        held.append(b"y" * CHUNK)


signal.signal(signal.SIGTERM, flush)
signal.signal(signal.SIGINT, flush)
os.write(1, b"ready\n")
while True:
    signal.pause()
