import sys
counts = {}
for line in sys.stdin:
    for ch in line.lower():
        counts[ch] = counts.get(ch, 0) + 1
for code in range(ord("a"), ord("z") + 1):
    ch = chr(code)
    print("{} : {}".format(ch, counts.get(ch, 0)))
