from collections import Counter
c = Counter(open(0).read().lower())
for letter in map(chr, range(97, 123)):
    print("%s : %d" % (letter, c[letter]))
