import sys
for line in sys.stdin:
    n = int(line)
    flags = [True] * (n + 1)
    total = 0
    for i in range(2, n + 1):
        if flags[i]:
            total += 1
            for j in range(i * i, n + 1, i):
                flags[j] = False
    print(total)
