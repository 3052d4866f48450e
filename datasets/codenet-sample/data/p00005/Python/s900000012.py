from math import gcd
lines = open(0).read().splitlines()
for line in lines:
    if line:
        a, b = map(int, line.split())
        g = gcd(a, b)
        print(str(g) + " " + str(a * b // g))
