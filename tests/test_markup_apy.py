"""Placeholders of hny_markup.h against a real Apertium APy (eng|spa): the
tokens the worker puts around inline markup must come back whole, once
each and properly nested, with format=txt as the apertium backend sends.
Exits 77 (skipped) when apertium-apy is not installed."""
import json
import re
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from hnyfix import Fixture, apy_installed  # noqa: E402

CASES = [
    "The ⟦1⟧red⟦/1⟧ car is ⟦2⟧very⟦/2⟧ fast.",
    "He said ⟦1⟧\"hello\"⟦/1⟧ to ⟦2⟧Mr. Abe⟦/2⟧.",
    "I saw the ⟦1⟧Prime Minister⟦/1⟧ at ⟦2⟧the ⟦3⟧Diet⟦/3⟧ building⟦/2⟧ yesterday.",
    "⟦1⟧Okinawa⟦/1⟧ makes up only 0.6 percent of the land of Japan.",
]
TOKEN = re.compile(r"⟦(/?)(\d+)⟧")


def translate(url, text):
    body = urllib.parse.urlencode({"langpair": "eng|spa", "q": text, "markUnknown": "no",
                                   "format": "txt"}).encode()
    with urllib.request.urlopen(url + "/translate", body, timeout=20) as r:
        return json.load(r)["responseData"]["translatedText"]


def nested_once(text, count):
    stack, seen = [], set()
    for closing, n in TOKEN.findall(text):
        n = int(n)
        if not closing:
            if n in seen:
                return False
            seen.add(n)
            stack.append(n)
        elif not stack or stack.pop() != n:
            return False
    return not stack and len(seen) == count


def main():
    if not apy_installed():
        print("apertium-apy not installed: skipped")
        return 77
    failures = 0
    with Fixture("hny-apy") as fx:
        url = fx.start_apy(timeout=30.0)
        for src in CASES:
            tgt = translate(url, src)
            count = len(TOKEN.findall(src)) // 2
            ok = nested_once(tgt, count)
            print(("ok  " if ok else "FAIL"), src, "=>", tgt)
            failures += 0 if ok else 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
