data = open(0).read().split()
s = sorted(int(x) for x in data[1:])
print(s[0], s[-1], sum(s))
