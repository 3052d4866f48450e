def main():
    values = [int(x) for x in open(0).read().split()]
    r = values[1:]
    best = float("-inf")
    low = r[0]
    for price in r[1:]:
        best = max(best, price - low)
        low = min(low, price)
    print(int(best))


if __name__ == "__main__":
    main()
