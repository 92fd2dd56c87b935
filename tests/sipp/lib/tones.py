#!/usr/bin/env python3
"""Audio checks on a 16-bit PCM WAV, window by window (100 ms), with a
Goertzel filter: enough to tell which tone a recording holds when.

    tones.py FILE [--channel N] CHECK START END FRAC

CHECK is a frequency in Hz (the tone holds at least half the window's
energy), "loud" (RMS above 300: speech, music, a prompt) or "!FREQ" (the
tone does NOT hold half the energy) or "F1+F2" (two tones mixed: each
holds at least a fifth of the energy, both together at least 70%). The check passes when at least FRAC
of the windows between START and END seconds satisfy it. With CHECK
"profile" it prints, per window, the RMS and each tone's share.
Exit status 0: pass, 1: fail (with the windows printed).
"""
import math
import struct
import sys
import wave

TONES = (440, 880, 523, 659, 784, 1046)


def read(path, channel):
    w = wave.open(path, "rb")
    if w.getsampwidth() != 2:
        sys.exit("%s: not 16-bit" % path)
    ch = w.getnchannels()
    rate = w.getframerate()
    raw = w.readframes(w.getnframes())
    s = struct.unpack("<%dh" % (len(raw) // 2), raw)
    return list(s[channel::ch]), rate


def share(x, f, rate):
    """the part of the window's energy at frequency f (1.0: a pure tone)"""
    n = len(x)
    k = 2 * math.cos(2 * math.pi * f / rate)
    s1 = s2 = 0.0
    for v in x:
        s0 = v + k * s1 - s2
        s2, s1 = s1, s0
    p = s1 * s1 + s2 * s2 - k * s1 * s2
    e = sum(v * v for v in x)
    return (2 * p / n) / e if e else 0.0


def main():
    args = sys.argv[1:]
    channel = 0
    if "--channel" in args:
        i = args.index("--channel")
        channel = int(args[i + 1])
        del args[i:i + 2]
    path, check = args[0], args[1]
    x, rate = read(path, channel)
    win = rate // 10
    windows = [x[i:i + win] for i in range(0, len(x) - win + 1, win)]

    def describe(i, w):
        rms = math.sqrt(sum(v * v for v in w) / len(w))
        shares = " ".join("%d:%.2f" % (f, share(w, f, rate))
                          for f in TONES)
        return "%5.1fs rms %6.0f  %s" % (i / 10, rms, shares)

    if check == "profile":
        for i, w in enumerate(windows):
            print(describe(i, w))
        return 0

    start, end, frac = float(args[2]), float(args[3]), float(args[4])
    sel = [(i, w) for i, w in enumerate(windows)
           if start <= i / 10 and (i + 1) / 10 <= end]
    if not sel:
        print("%s: no audio between %.1f and %.1f s (%.1f s long)" %
              (path, start, end, len(x) / rate))
        return 1

    def good(w):
        if check == "loud":
            return math.sqrt(sum(v * v for v in w) / len(w)) > 300
        if check.startswith("!"):
            return share(w, float(check[1:]), rate) < 0.5
        if "+" in check:
            v = [share(w, float(f), rate) for f in check.split("+")]
            return min(v) >= 0.2 and sum(v) >= 0.7
        return share(w, float(check), rate) >= 0.5

    n = sum(1 for _, w in sel if good(w))
    if n >= frac * len(sel):
        return 0
    print("%s: %s in %d of %d windows between %.1f and %.1f s, wanted "
          "%.0f%%" % (path, check, n, len(sel), start, end, frac * 100))
    for i, w in sel:
        print(describe(i, w))
    return 1


if __name__ == "__main__":
    sys.exit(main())
