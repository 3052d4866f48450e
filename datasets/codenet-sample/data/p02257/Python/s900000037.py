import sys


def main():
    n = int(sys.stdin.readline())
    xs = [int(sys.stdin.readline()) for _ in range(n)]
    limit = int(max(xs) ** 0.5) + 1
    small = [True] * (limit + 1)
    primes = []
    for i in range(2, limit + 1):
        if small[i]:
            primes.append(i)
            for j in range(i * i, limit + 1, i):
                small[j] = False
    total = 0
    for x in xs:
        ok = True
        for p in primes:
            if p * p > x:
                break
            if x % p == 0:
                ok = False
                break
        total += ok
    print(total)


if __name__ == "__main__":
    main()
