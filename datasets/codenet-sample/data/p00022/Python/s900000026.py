while 1:
    n = int(input())
    if n == 0:
        quit()
    a = [int(input()) for _ in range(n)]
    ans = max(a)
    run = 0
    for x in a:
        run += x
        if run > ans:
            ans = run
        if run < 0:
            run = 0
    print(ans)
