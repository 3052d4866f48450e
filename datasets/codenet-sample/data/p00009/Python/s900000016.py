import sys
N = 999999
sieve = bytearray([1]) * (N + 1)
sieve[0] = sieve[1] = 0
for i in range(2, int(N ** 0.5) + 1):
    if sieve[i]:
        sieve[i * i::i] = bytearray(len(range(i * i, N + 1, i)))
prefix = [0] * (N + 1)
c = 0
for k in range(N + 1):
    c += sieve[k]
    prefix[k] = c
for line in sys.stdin:
    if line.strip():
        print(prefix[int(line)])
