import sys
print(pow(int(sys.stdin.read()), 3))
