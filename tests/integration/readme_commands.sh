#!/bin/sh
# Every command example of README.md runs as written, against a scratch
# server like `make run`'s (--demo --dialer local) on free loopback ports.
#
# Runnable blocks are the ```sh, ```bash and ```console ones (in console
# blocks, the lines after "$ ", with their "\" continuations). A block
# that cannot run in a test (make, apt-get, softphones, a provider) has
# <!-- not run: REASON --> on the line before its fence: it is listed
# as skipped, never dropped silently. The README's "localhost:8080" is
# this server's address, and the beckon commands find it through
# BECKON_SERVER; BECKON_TOKEN is whatever the README itself exports. A
# console command is expected to exit 1 when the output the README shows
# for it is an error of the server ("beckon: 409 ..."), else 0; when
# the README shows a JSON answer, the real one must be JSON too, and an
# error with the same code exactly when the README shows one.
. "$(dirname "$0")/../lib/common.sh"

SIP_PORT=$(free_port)
TRUNK_PORT=$(free_port)
start_beckon readme --demo --dialer local --sip_listen "127.0.0.1:$SIP_PORT" \
	--trunk_proxy "sip:127.0.0.1:$TRUNK_PORT" --rtp_ports 30000-39999

# the README runs `beckon` and `./build/beckon`
mkdir -p "$T/bin" "$T/run/build"
ln -s "$BECKON" "$T/bin/beckon"
ln -s "$BECKON" "$T/run/build/beckon"

python3 - "$BECKON_SRC/README.md" "$PORT" "$T/readme.sh" <<'PY' ||
import re, sys

readme, port, out = sys.argv[1], sys.argv[2], sys.argv[3]
lines = open(readme, encoding="utf-8").read().split("\n")
runnable = ("sh", "bash", "console")
marker = re.compile(r"^<!-- not run: (.+) -->$")
cmds, skipped, bad = [], [], []

def here(cmd):
    return cmd.replace("localhost:8080", "127.0.0.1:" + port) \
              .replace("127.0.0.1:8080", "127.0.0.1:" + port)

i = 0
while i < len(lines):
    m = re.match(r"^```(\w*)\s*$", lines[i])
    if not m:
        i += 1
        continue
    lang, start = m.group(1), i + 1
    j = i + 1
    while not lines[j].startswith("```"):
        j += 1
    body = lines[i + 1:j]
    k = i - 1
    while k >= 0 and not lines[k].strip():
        k -= 1
    mk = marker.match(lines[k]) if k >= 0 else None
    i = j + 1
    if mk:
        if lang not in runnable:
            bad.append("line %d: a 'not run' marker on a %r block"
                       % (start, lang))
        skipped.append((start, mk.group(1)))
        continue
    if lang not in runnable:
        continue
    n = 0
    while n < len(body):
        line = body[n]
        if lang == "console":
            if not line.startswith("$ "):
                n += 1
                continue
            line = line[2:]
        if not line.strip() or line.lstrip().startswith("#"):
            n += 1
            continue
        cmd, first = [line], start + n + 1
        while cmd[-1].endswith("\\") and n + 1 < len(body):
            n += 1
            cmd.append(body[n])
        n += 1
        want, shown = 0, ""
        if lang == "console":
            k = n
            while k < len(body) and not body[k].startswith("$ ") \
                  and body[k].strip():
                k += 1
            shown = "\n".join(body[n:k])
            if re.match(r"^beckon: \d{3} ", shown):
                want = 1
        cmds.append((first, "\n".join(cmd), want, shown))

if bad or len(cmds) < 15:
    sys.exit("\n".join(bad) or "only %d commands found" % len(cmds))

with open(out, "w") as f:
    f.write("fails=0\n")
    for first, cmd, want, shown in cmds:
        f.write("{\n%s\n} >\"$OUT\" 2>&1 </dev/null\nrc=$?\n" % here(cmd))
        if shown.startswith("{"):
            with open("%s.%d" % (out, first), "w") as e:
                e.write(shown)
            f.write("[ $rc != 0 ] || python3 \"$CHECK\" %s.%d \"$OUT\" "
                    "|| rc=json\n" % (out, first))
        f.write("if [ $rc != %d ]; then fails=$((fails + 1)); "
                "echo \"README line %d: exit $rc, expected %d\"; "
                "sed 's/^/    /' \"$OUT\"; "
                "else echo \"ran README line %d\"; fi\n"
                % (want, first, want, first))
    f.write("exit $fails\n")
for start, why in skipped:
    print("skipped README line %d: %s" % (start, why))
print("%d commands" % len(cmds))
PY
	fail "extracting the README's commands"

# check.py SHOWN ACTUAL: the same kind of JSON answer
cat >"$T/check.py" <<'PY'
import json, sys
shown = json.loads(open(sys.argv[1]).read())
try:
    real = json.loads(open(sys.argv[2]).read())
except ValueError:
    sys.exit("not JSON")
code = lambda d: (d.get("error") or {}).get("code")
if code(shown) != code(real):
    sys.exit("error %s, the README shows %s" % (code(real), code(shown)))
PY

unset BECKON_TOKEN
rc=0
(cd "$T/run" && OUT="$T/cmd.out" CHECK="$T/check.py" PATH="$T/bin:$PATH" \
	BECKON_SERVER="$URL" sh "$T/readme.sh") >"$T/readme.out" 2>&1 || rc=$?
cat "$T/readme.out"
[ "$rc" = 0 ] || fail "$rc README command(s) failed"
ok "every command example of README.md runs as written"
stop_beckon
