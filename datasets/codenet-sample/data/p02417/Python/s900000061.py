text = ""
while True:
    try:
        text += input() + "\n"
    except EOFError:
        break
text = text.lower()
for ch in "abcdefghijklmnopqrstuvwxyz":
    print(ch + " : " + str(text.count(ch)))
