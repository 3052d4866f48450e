import math
for line in open(0):
    s = sum(map(int, line.split()))
    print(1 if s == 0 else int(math.log10(s)) + 1)
