import sys
for line in sys.stdin:
    a, b = line.split()
    print(len(a) + len(b))
