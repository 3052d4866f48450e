import sys


def main():
    x = int(sys.stdin.buffer.read())
    sys.stdout.write(str(x ** 3) + "\n")


if __name__ == '__main__':
    main()
