import sys
nums = list(map(int, sys.stdin.read().split()))
for a, b in zip(nums[::2], nums[1::2]):
    x, y = a, b
    while y:
        x, y = y, x % y
    print(x, a // x * b)
