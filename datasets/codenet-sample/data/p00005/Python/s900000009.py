import sys
import math
for line in sys.stdin:
    a, b = map(int, line.split())
    g = math.gcd(a, b)
    print(g, a // g * b)
