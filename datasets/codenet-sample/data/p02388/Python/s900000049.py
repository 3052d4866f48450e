for line in open(0):
    print(int(line) ** 3)
