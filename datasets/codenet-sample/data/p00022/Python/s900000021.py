while True:
    n = int(input())
    if n == 0:
        break
    best = None
    current = 0
    for _ in range(n):
        a = int(input())
        current = max(a, current + a)
        best = current if best is None else max(best, current)
    print(best)
