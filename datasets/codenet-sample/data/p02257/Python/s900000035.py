import sys


def prime(x):
    if x < 4:
        return x >= 2
    if x % 2 == 0 or x % 3 == 0:
        return False
    k = 5
    while k * k <= x:
        if x % k == 0 or x % (k + 2) == 0:
            return False
        k += 6
    return True


lines = iter(sys.stdin)
n = int(next(lines))
count = 0
for line in lines:
    count += prime(int(line))
print(count)
