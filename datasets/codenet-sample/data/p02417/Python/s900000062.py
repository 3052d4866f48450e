import sys
import string


def main():
    text = sys.stdin.buffer.read().decode().lower()
    for ch in string.ascii_lowercase:
        print(f"{ch} : {text.count(ch)}")


if __name__ == "__main__":
    main()
