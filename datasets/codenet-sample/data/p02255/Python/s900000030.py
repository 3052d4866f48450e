import sys
tokens = sys.stdin.read().split()
n = int(tokens[0])
a = [int(t) for t in tokens[1:1 + n]]
lines = [" ".join(map(str, a))]
for i in range(1, n):
    key = a[i]
    j = i
    while j > 0 and a[j - 1] > key:
        a[j] = a[j - 1]
        j -= 1
    a[j] = key
    lines.append(" ".join(map(str, a)))
sys.stdout.write("\n".join(lines) + "\n")
