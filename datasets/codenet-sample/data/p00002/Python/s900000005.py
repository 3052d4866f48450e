import sys


def digits(n):
    count = 1
    while n >= 10:
        n //= 10
        count += 1
    return count


def main():
    for raw in sys.stdin.buffer.read().splitlines():
        if raw.strip():
            a, b = map(int, raw.split())
            sys.stdout.write(str(digits(a + b)) + "\n")


if __name__ == '__main__':
    main()
