from bisect import bisect_right
ns = [int(x) for x in open(0).read().split()]
m = max(ns)
primes = []
is_p = [True] * (m + 1)
for i in range(2, m + 1):
    if is_p[i]:
        primes.append(i)
        for j in range(i * i, m + 1, i):
            is_p[j] = False
for n in ns:
    print(bisect_right(primes, n))
