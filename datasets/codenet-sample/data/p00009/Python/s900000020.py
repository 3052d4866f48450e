import sys
for line in sys.stdin:
    n = int(line)
    total = 0
    for x in range(2, n + 1):
        if all(x % d for d in range(2, x)):
            total += 1
    print(total)
