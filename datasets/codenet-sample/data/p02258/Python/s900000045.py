n = int(input())
r = [int(input()) for _ in range(n)]
best = r[1] - r[0]
for i in range(n):
    for j in range(i + 1, n):
        best = max(best, r[j] - r[i])
print(best)
