#!/usr/bin/env python3
"""The sample program every catalogue variant starts.

Behaviour is chosen by environment variables (or the same names as --flags):
  APP_MODE=aware|naive   aware: handles SIGTERM/SIGINT by exiting 0 after APP_DRAIN
                         seconds, logs HUP, QUIT, USR1, USR2, WINCH and carries on.
                         naive: keeps the default dispositions (as most programs do);
                         only WINCH, whose default is to ignore, is logged.
  APP_DRAIN=SECONDS      aware mode: time spent "draining" before exiting 0.
  APP_ZOMBIE=1           orphan a grandchild that exits 0.2 s later (the classic
                         zombie maker: it is re-parented to PID 1, which must reap it).
  APP_GRANDCHILDREN=N    leave N long-lived orphaned grandchildren that log the signals
                         they receive and exit on SIGTERM/SIGINT.
  APP_EXIT_AFTER=SECONDS exit after this long, with APP_EXIT_CODE (default 0), or
  APP_KILL_SELF=SIGNAME  by sending itself this signal with the default disposition.

Every line goes to stdout, flushed: "ready pid=N", "signal SIGTERM", "exit code=N".
"""
import os
import select
import signal
import sys
import time

LOGGED = ["SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"]


def setting(name, default=""):
    flag = "--" + name.lower().replace("app_", "").replace("_", "-")
    for i, arg in enumerate(sys.argv[1:], start=1):
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
        if arg == flag and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
    return os.environ.get(name, default)


def log(line):
    # os.write, not sys.stdout: a handler that writes while the main thread is inside
    # a buffered write raises "RuntimeError: reentrant call" (and the program exits 1).
    os.write(1, (line + "\n").encode())


def on_logged(signum, _frame):
    log("signal " + signal.Signals(signum).name)


def on_stop(signum, _frame):
    log("signal " + signal.Signals(signum).name)
    drain = float(setting("APP_DRAIN", "0") or 0)
    if drain > 0:
        log("draining for %gs" % drain)
        time.sleep(drain)
    log("exit code=0")
    sys.exit(0)


def waker():
    """
    A pipe the interpreter writes to whenever a signal with a Python handler arrives
    (signal.set_wakeup_fd): waiting on it instead of in sleep() or pause() cannot miss a
    signal that lands just before the wait starts (its handler would otherwise only run
    once the wait ends on its own).
    """
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    return r


def wait(r, seconds):
    """Wait up to `seconds` or until a signal arrives; handlers run on return."""
    select.select([r], [], [], seconds)
    try:
        os.read(r, 512)
    except BlockingIOError:
        pass


def grandchild_signal(signum, _frame):
    log("grandchild pid=%d signal %s" % (os.getpid(), signal.Signals(signum).name))
    if signum in (signal.SIGTERM, signal.SIGINT):
        os._exit(0)


def orphan(body):
    """Fork a child that forks `body` and exits at once, orphaning it."""
    child = os.fork()
    if child == 0:
        if os.fork() == 0:
            try:
                body()
            finally:
                os._exit(0)
        os._exit(0)
    os.waitpid(child, 0)


def short_lived():
    time.sleep(0.2)


def long_lived():
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, grandchild_signal)
    r = waker()
    log("grandchild pid=%d started" % os.getpid())
    while True:
        wait(r, 3600)


def main():
    mode = setting("APP_MODE", "aware")
    if mode not in ("aware", "naive"):
        log("unknown APP_MODE %r" % mode)
        return 2
    if mode == "aware":
        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGINT, on_stop)
        for name in LOGGED:
            signal.signal(getattr(signal, name), on_logged)
    else:
        signal.signal(signal.SIGWINCH, on_logged)

    for _ in range(int(setting("APP_GRANDCHILDREN", "0") or 0)):
        orphan(long_lived)
    if setting("APP_ZOMBIE", "") == "1":
        orphan(short_lived)

    r = waker()
    log("ready pid=%d mode=%s" % (os.getpid(), mode))
    exit_after = setting("APP_EXIT_AFTER", "")
    deadline = time.monotonic() + float(exit_after) if exit_after else None
    while deadline is None or time.monotonic() < deadline:
        wait(r, max(0, deadline - time.monotonic()) if deadline else 3600)

    kill_self = setting("APP_KILL_SELF", "")
    if kill_self:
        sig = getattr(signal, kill_self if kill_self.startswith("SIG") else "SIG" + kill_self)
        signal.signal(sig, signal.SIG_DFL)
        log("killing self with " + sig.name)
        os.kill(os.getpid(), sig)
        # Only reached when the kernel dropped it: PID 1 ignores signals it has no
        # handler for, even ones it sends itself.
        time.sleep(1)
        log("survived " + sig.name)
        while True:
            time.sleep(3600)
    code = int(setting("APP_EXIT_CODE", "0") or 0)
    log("exit code=%d" % code)
    return code


if __name__ == "__main__":
    sys.exit(main())
