def count_primes(n):
    if n < 2:
        return 0
    odd = [True] * ((n - 1) // 2)
    for k in range(len(odd)):
        if odd[k]:
            p = 2 * k + 3
            for j in range((p * p - 3) // 2, len(odd), p):
                odd[j] = False
    return 1 + sum(odd)


while True:
    try:
        print(count_primes(int(input())))
    except EOFError:
        break
