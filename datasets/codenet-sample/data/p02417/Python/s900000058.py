import sys
text = sys.stdin.read().lower()
for c in "abcdefghijklmnopqrstuvwxyz":
    print(c, ":", text.count(c))
