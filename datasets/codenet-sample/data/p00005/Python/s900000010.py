def gcd(a, b):
    return a if b == 0 else gcd(b, a % b)


while True:
    try:
        a, b = map(int, input().split())
    except EOFError:
        break
    g = gcd(a, b)
    print("%d %d" % (g, a * b // g))
