import sys
from bisect import bisect_right
n = int(sys.stdin.readline())
a = list(map(int, sys.stdin.readline().split()))
print(" ".join(map(str, a)))
for i in range(1, n):
    v = a.pop(i)
    a.insert(bisect_right(a, v, 0, i), v)
    print(" ".join(map(str, a)))
