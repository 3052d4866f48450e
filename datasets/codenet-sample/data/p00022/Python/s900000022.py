import sys
readline = sys.stdin.readline
while True:
    n = int(readline())
    if n == 0:
        break
    a = [int(readline()) for _ in range(n)]
    prefix = [0]
    for v in a:
        prefix.append(prefix[-1] + v)
    best = a[0]
    for i in range(n):
        for j in range(i + 1, n + 1):
            s = prefix[j] - prefix[i]
            if s > best:
                best = s
    print(best)
