n = int(input())
low = int(input())
best = -10 ** 18
for _ in range(n - 1):
    r = int(input())
    best = max(best, r - low)
    low = min(low, r)
print(best)
