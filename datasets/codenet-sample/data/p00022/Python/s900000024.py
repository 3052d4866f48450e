import sys
remaining = None
values = []
for line in sys.stdin:
    v = int(line)
    if remaining is None:
        if v == 0:
            break
        remaining = v
        values = []
        continue
    values.append(v)
    remaining -= 1
    if remaining == 0:
        best = values[0]
        for i in range(len(values)):
            total = 0
            for j in range(i, len(values)):
                total += values[j]
                best = max(best, total)
        print(best)
        remaining = None
