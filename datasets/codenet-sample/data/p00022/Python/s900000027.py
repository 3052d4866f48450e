while True:
    n = int(input())
    if n == 0:
        break
    best = cur = 0
    for _ in range(n):
        cur = max(0, cur + int(input()))
        best = max(best, cur)
    print(best)
