import sys
n = int(sys.stdin.readline())
values = sys.stdin.readline().split()
lo = hi = int(values[0])
total = 0
for t in values:
    v = int(t)
    if v < lo:
        lo = v
    if v > hi:
        hi = v
    total += v
print(lo, hi, total)
