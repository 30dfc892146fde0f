#!/usr/bin/python3
"""Starts `EXE train X Y --checkpoint CKPT` several times, kills it
with SIGKILL after a different delay each time, and checks that CKPT is
then either absent or a complete, well-formed checkpoint.

  hostile_save_kill.py EXE X Y CKPT
"""
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hostile_check  # noqa: E402


def main():
    exe, x, y, ckpt = sys.argv[1:5]
    seen = set()
    for delay in (0.05, 0.3, 0.7, 1.1, 1.6):
        p = subprocess.Popen([exe, "train", x, y, "--epochs", "1000",
                              "--checkpoint", ckpt],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        if p.returncode != -signal.SIGKILL:
            hostile_check.fail(f"the run ended with {p.returncode} before "
                               f"the kill at {delay} s")
        if os.path.exists(ckpt):
            hostile_check.read_strict(ckpt)
            seen.add("intact")
        else:
            seen.add("absent")
    print("after kill -9: " + ", ".join(sorted(seen)))


if __name__ == "__main__":
    main()
