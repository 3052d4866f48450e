import sys
x = int(sys.stdin.readline())
print(x * x * x)
