"""The machine-steadiness probe of hetfaas' research harness.

Times the same piece of pure-Python work (parse two integers a line, add
them, measure the digits: what the bundled handlers do) every INTERVAL_MS
and prints each run's CPU time in milliseconds, one line a run, as soon as
it ends (the harness stamps the time). It runs until it is killed. The
work never changes, so any change in its CPU time is the machine's, not
the workload's.
"""
import sys
import time

LINES = ["%d %d" % (i * 7919 % 1000003, i * 104729 % 1000003) for i in range(8000)]


def work():
    total = 0
    for line in LINES:
        a, b = line.split()
        total += len(str(int(a) + int(b)))
    return total


def main(interval_s):
    while True:
        before = time.thread_time()
        work()
        print("%.4f" % ((time.thread_time() - before) * 1000.0), flush=True)
        time.sleep(interval_s)


if __name__ == "__main__":
    main(float(sys.argv[1]) / 1000.0)
