import sys
prices = list(map(int, sys.stdin.read().split()))[1:]
best = prices[1] - prices[0]
low = prices[0]
for p in prices[1:]:
    if p - low > best:
        best = p - low
    if p < low:
        low = p
print(best)
