import sys
from functools import reduce


def main():
    sys.stdin.readline()
    nums = [int(x) for x in sys.stdin.readline().split()]
    lo, hi, total = reduce(lambda acc, v: (min(acc[0], v), max(acc[1], v), acc[2] + v), nums, (nums[0], nums[0], 0))
    print(lo, hi, total)


if __name__ == "__main__":
    main()
