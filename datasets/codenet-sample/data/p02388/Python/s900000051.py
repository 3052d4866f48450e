exit(print(int(input()) ** 3))
