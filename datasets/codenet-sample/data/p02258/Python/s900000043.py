import sys
it = iter(sys.stdin)
n = int(next(it))
low = int(next(it))
answer = None
for line in it:
    v = int(line)
    gain = v - low
    answer = gain if answer is None else max(answer, gain)
    low = min(low, v)
print(answer)
