while True:
    a = int(input())
    print(a)
