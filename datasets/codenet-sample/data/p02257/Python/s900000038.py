n = int(raw_input())
c = 0
for i in range(n):
    x = int(raw_input())
    c += all(x % d for d in range(2, int(x ** 0.5) + 1))
print c
