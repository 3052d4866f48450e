import sys


def solve(values):
    best = values[0]
    low = 0
    prefix = 0
    for v in values:
        prefix += v
        best = max(best, prefix - low)
        low = min(low, prefix)
    return best


def main():
    lines = open(0).read().split()
    i = 0
    while True:
        n = int(lines[i])
        if n == 0:
            sys.exit(0)
        print(solve([int(x) for x in lines[i + 1:i + 1 + n]]))
        i += n + 1


if __name__ == "__main__":
    main()
