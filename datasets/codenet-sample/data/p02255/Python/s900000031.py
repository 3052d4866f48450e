def insertion_sort(a):
    yield a
    for i in range(1, len(a)):
        v = a[i]
        j = i - 1
        while j >= 0 and a[j] > v:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = v
        yield a


def main():
    data = open(0).read().split()
    n = int(data[0])
    for state in insertion_sort(list(map(int, data[1:n + 1]))):
        print(" ".join(str(x) for x in state))


if __name__ == "__main__":
    main()
