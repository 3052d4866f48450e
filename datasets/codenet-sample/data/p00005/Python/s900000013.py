import sys


def gcd(a, b):
    while b:
        a, b = b, a % b
    return a


def main():
    while True:
        line = sys.stdin.readline()
        if not line:
            exit()
        a, b = map(int, line.split())
        g = gcd(a, b)
        print(g, a * b // g)


if __name__ == "__main__":
    main()
