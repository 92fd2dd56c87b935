"""A password cracker against beckon's registrar, on loopback UDP, with
real digest responses (tests/lib/sipraw.py). beckon runs with
sip_auth_fails 3, sip_auth_fails_ip 10, sip_ban_time 2, sip_ban_max 8,
and knows the agent alice with the password alicepw.

    python3 dialer_guard.py PORT

Each step prints "ok - ..." or the script exits 1 with "FAIL: ...".
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sipraw  # noqa: E402

PORT = int(sys.argv[1])
BAN = 2.0


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)


def ok(msg):
    print("ok -", msg, flush=True)


def same(a, b, what):
    """two answers a client cannot tell apart: status line and header
    names (values differ only in tags, branches and nonces)"""
    if a.status_line != b.status_line or a.names() != b.names():
        fail("%s: %r %r differs from %r %r" % (
            what, a.status_line, a.names(), b.status_line, b.names()))


class Cracker:
    def __init__(self, src):
        self.c = sipraw.Client("127.0.0.1", PORT, src=src)
        self.chal = self.c.send(self.c.register("alice"))
        if self.chal.code != 401:
            fail("no challenge: " + self.chal.status_line)

    def register(self, user, password):
        auth = self.c.digest(self.chal, user, password)
        return self.c.send(self.c.register(user, auth=auth))

    def invite(self, user, password):
        # a socket of its own: the 401 to an INVITE is retransmitted
        # until ACKed, and must not be read as the next answer
        c = sipraw.Client("127.0.0.1", PORT, src=self.c.src)
        to = "sip:+14155550100@127.0.0.1"
        chal = c.send(c.invite(to))
        r = c.send(c.invite(to, auth=c.digest(chal, user, password,
                                              "INVITE", to)))
        c.close()
        return r


# ---- one (address, user): wrong guesses, then the ban
a = Cracker("127.0.0.1")
wrong = [a.register("alice", "guess%d" % i) for i in range(2)]
for r in wrong:
    if r.code != 403:
        fail("wrong password: " + r.status_line)
unknown = a.register("mallory", "guess")
same(unknown, wrong[0], "an unknown user")
ok("an unknown user gets the answer to a wrong password (403)")

r = a.register("alice", "guess2")
same(r, wrong[0], "the third wrong password")
t_ban = time.monotonic()
right = a.register("alice", "alicepw")
same(right, wrong[0], "the right password during the ban")
same(a.register("mallory", "x"), wrong[0], "an unknown user during a ban")
ok("banned after 3 failures: the right password gets the same 403")

b = Cracker("127.0.0.2")
r = b.register("alice", "alicepw")
if r.code != 200:
    fail("alice from 127.0.0.2 during the ban: " + r.status_line)
ok("alice registers from 127.0.0.2 meanwhile (200)")

# the right password, every 100 ms, until the ban ends: attempts during
# a ban do not count, so polling does not lengthen it
while True:
    r = a.register("alice", "alicepw")
    waited = time.monotonic() - t_ban
    if r.code == 200:
        break
    same(r, wrong[0], "polling during the ban")
    if waited > BAN + 3:
        fail("still banned after %.1f s" % waited)
    time.sleep(0.1)
if waited < BAN - 0.3:
    fail("the ban ended after %.1f s, expected %.0f" % (waited, BAN))
ok("the ban ended after %.1f s (sip_ban_time %.0f): 200" % (waited, BAN))

# the next ban of the same key is twice as long (the log says so)
for i in range(3):
    a.register("alice", "again%d" % i)
t_ban = time.monotonic()
time.sleep(BAN + 0.3)
same(a.register("alice", "alicepw"), wrong[0], "the second ban, after 2 s")
ok("the second ban is longer than the first")

# ---- one address, many users: the address is banned
c = Cracker("127.0.0.3")
for i in range(10):
    c.register("user%d" % i, "guess")
same(c.register("alice", "alicepw"), wrong[0], "a banned address")
ok("10 failures for 10 users: the address is banned, alice too from there")

# ---- INVITEs count with REGISTERs
d = Cracker("127.0.0.4")
for i in range(3):
    r = d.invite("alice", "guess%d" % i)
    if r.code != 401:
        fail("INVITE with a wrong password: " + r.status_line)
same(d.register("alice", "alicepw"), wrong[0], "after 3 bad INVITEs")
ok("3 INVITEs with wrong passwords ban alice from 127.0.0.4")
