import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_NAME = 15
ctypes.CDLL(None).prctl(PR_SET_NAME, b"tini", 0, 0, 0)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print("token in my environment: %s" % os.environ.get("TOKEN", "(none)"), flush=True)
# A child whose command line is 8 x 100 KB: a snapshot must not carry all of it.
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1e9)"] + ["x" * 100_000] * 8)
print("\x1b]0;owned\x07\x1b[2J\x1b[31mserving", flush=True)
while True:
    time.sleep(3600)
