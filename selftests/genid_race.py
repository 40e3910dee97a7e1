#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""genid_race.py FIFO BUMPS COMMAND...: run COMMAND (a `flowlane apply`)
with another program's ruleset change landing inside its tries.

apply reads the ruleset's generation, then its state file, then plans and
commits a batch carrying that generation (NFNL_BATCH_GENID); a refused
batch (the ruleset moved) sends it back to reading the generation. FIFO is
the state file's path, made a named pipe: apply blocks opening it, after
it read the generation and before it commits. For each of the first BUMPS
tries, this adds a table (a commit: the generation moves) while apply is
blocked there, then lets it go on (an empty state: apply takes the full
path). Prints "tries=N rc=R" and COMMAND's output: N is how many times
apply read its state, i.e. planned; R its exit status.
"""
import os
import subprocess
import sys
import time


def blocked_in_open(pid, proc, deadline):
    """True once pid sleeps opening the FIFO; False if it exited first."""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with open("/proc/%d/wchan" % pid) as f:
                if f.read() == "wait_for_partner":
                    return True
        except OSError:
            return False
        time.sleep(0.01)
    raise SystemExit("genid_race.py: the command neither opened %s nor ended" % FIFO)


def release():
    """Open the FIFO's write side and close it: apply's open returns, and
    a read sees end of file."""
    os.close(os.open(FIFO, os.O_WRONLY | os.O_NONBLOCK))


FIFO = sys.argv[1]
bumps = int(sys.argv[2])
proc = subprocess.Popen(sys.argv[3:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
deadline = time.monotonic() + 60 * int(os.environ.get("FLOWLANE_TIMEOUT_SCALE", "1"))
tries = 0
# Each try opens the state file twice (mapped, then read), both blocking.
while blocked_in_open(proc.pid, proc, deadline):
    tries += 1
    if tries <= bumps:
        subprocess.run(["nft", "add", "table", "inet", "genid_race_%d" % tries], check=True)
    release()
    if blocked_in_open(proc.pid, proc, deadline):
        release()
out = proc.communicate()[0].decode()
print("tries=%d rc=%d" % (tries, proc.returncode))
print(out, end="")
