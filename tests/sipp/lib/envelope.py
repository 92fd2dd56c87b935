#!/usr/bin/env python3
"""Did a recording say these prompts, in this order? Speech is not a
tone, so this compares energy envelopes: the log energy of 20 ms frames
of each expected prompt (a WAV of the same recorded files the dialer
plays) slid over the recording, and the best Pearson correlation kept.
The first prompt is looked for from START to END seconds, each next one
from where the previous ended, up to SLACK seconds later (a receiver's
jitter buffer and a loaded machine stretch the gaps a little).

    envelope.py REC START END MIN PROMPT.wav...

Prints each prompt's best correlation and where it is; exit status 0
when every one reaches MIN. 16-bit PCM at the same rate (REC's first
channel).
"""
import math
import struct
import sys
import wave

FRAME_MS = 20
SLACK = 1.0


def envelope(path):
    w = wave.open(path, "rb")
    if w.getsampwidth() != 2:
        sys.exit("%s: not 16-bit" % path)
    ch, rate = w.getnchannels(), w.getframerate()
    raw = w.readframes(w.getnframes())
    s = struct.unpack("<%dh" % (len(raw) // 2), raw)[::ch]
    n = rate * FRAME_MS // 1000
    env = []
    for i in range(0, len(s) - n + 1, n):
        e = sum(x * x for x in s[i:i + n]) / n
        env.append(10 * math.log10(e + 1e2))
    return env, rate


def corr(a, b):
    n = len(a)
    ma, mb = sum(a) / n, sum(b) / n
    va = sum((x - ma) ** 2 for x in a)
    vb = sum((y - mb) ** 2 for y in b)
    if va == 0 or vb == 0:
        return 0.0
    return sum((x - ma) * (y - mb) for x, y in zip(a, b)) / \
        math.sqrt(va * vb)


def find(rec, exp, lo, hi):
    best, at = -1.0, lo
    for off in range(max(lo, 0), min(hi, len(rec) - len(exp)) + 1):
        c = corr(rec[off:off + len(exp)], exp)
        if c > best:
            best, at = c, off
    return best, at


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    rec, rrate = envelope(sys.argv[1])
    fps = 1000 // FRAME_MS
    lo = int(float(sys.argv[2]) * fps)
    hi = int(float(sys.argv[3]) * fps)
    need = float(sys.argv[4])
    ok = True
    for path in sys.argv[5:]:
        exp, erate = envelope(path)
        if erate != rrate:
            sys.exit("rates differ: %d and %d" % (rrate, erate))
        best, at = find(rec, exp, lo, hi)
        print("  %-24s %.3f at %6.2f s" %
              ("/".join(path.rsplit("/", 2)[-2:]), best, at / fps))
        ok = ok and best >= need
        lo = at + len(exp)
        hi = lo + int(SLACK * fps)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
