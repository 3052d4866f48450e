text = input().lower()
for ch in "abcdefghijklmnopqrstuvwxyz":
    print(ch, ":", text.count(ch))
