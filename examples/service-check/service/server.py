#!/usr/bin/env python3
"""A service that finishes its work on SIGTERM and reaps what it adopts as PID 1."""
import os
import signal
import sys
import time


def stop(signum, _frame):
    print("draining, then exiting on %s" % signal.Signals(signum).name, flush=True)
    sys.exit(0)


def reap(_signum, _frame):
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGCHLD, reap)
print("service ready", flush=True)
while True:
    time.sleep(3600)
