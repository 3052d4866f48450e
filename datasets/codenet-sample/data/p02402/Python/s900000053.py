import sys
a = list(map(int, sys.stdin.read().split()))[1:]
print("%d %d %d" % (min(a), max(a), sum(a)))
