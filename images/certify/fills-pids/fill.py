#!/usr/bin/env python3
"""Start `sleep` processes until the pids limit refuses one; stop them all on SIGTERM."""
import os
import signal
import sys

children = []


def say(text):
    os.write(1, (text + "\n").encode())


def stop(signum, _frame):
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    say("stopping on %s" % signal.Signals(signum).name)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
while True:
    try:
        children.append(os.posix_spawn("/bin/sleep", ["sleep", "infinity"], os.environ))
    except OSError as err:
        say("ready: %d processes, the next refused (%s)" % (len(children) + 1, err.strerror))
        break
while True:
    signal.pause()
