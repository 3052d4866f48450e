import sys
readline = sys.stdin.readline
while True:
    line = readline()
    if not line:
        break
    x, y = line.split()
    print(len(str(int(x) + int(y))))
