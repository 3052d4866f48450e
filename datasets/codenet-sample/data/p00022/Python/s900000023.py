import sys
tokens = sys.stdin.read().split()
pos = 0
out = []
while True:
    n = int(tokens[pos])
    pos += 1
    if n == 0:
        break
    values = list(map(int, tokens[pos:pos + n]))
    pos += n
    best = cur = values[0]
    for v in values[1:]:
        cur = v if cur < 0 else cur + v
        best = max(best, cur)
    out.append(best)
print(*out, sep="\n")
