import math
data = list(map(int, open(0).read().split()))
count = 0
for x in data[1:]:
    r = math.isqrt(x)
    if all(x % d for d in range(2, r + 1)):
        count += 1
print(count)
