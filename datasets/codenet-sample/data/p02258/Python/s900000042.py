import sys
from itertools import accumulate
readline = sys.stdin.readline
n = int(readline())
r = [int(readline()) for _ in range(n)]
lows = list(accumulate(r, min))
print(max(r[j] - lows[j - 1] for j in range(1, n)))
