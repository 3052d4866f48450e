import sys
ns = [int(t) for t in sys.stdin.read().split()]
limit = max(ns)
sieve = [True] * (limit + 1)
sieve[0] = False
if limit >= 1:
    sieve[1] = False
i = 2
while i * i <= limit:
    if sieve[i]:
        for j in range(i * i, limit + 1, i):
            sieve[j] = False
    i += 1
count = [0] * (limit + 1)
running = 0
for k in range(limit + 1):
    running += sieve[k]
    count[k] = running
print("\n".join(str(count[n]) for n in ns))
