import sys
data = sys.stdin.read().split()
out = []
for i in range(0, len(data), 2):
    out.append(str(len(str(int(data[i]) + int(data[i + 1])))))
print("\n".join(out))
