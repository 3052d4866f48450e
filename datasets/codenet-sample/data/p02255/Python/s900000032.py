import sys
readline = sys.stdin.buffer.readline
n = int(readline())
a = list(map(int, readline().split()))
out = []
for i in range(n):
    if i:
        v = a[i]
        j = i - 1
        while j >= 0 and a[j] > v:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = v
    out.append(" ".join(map(str, a)))
print("\n".join(out))
