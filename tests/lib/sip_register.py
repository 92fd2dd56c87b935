#!/usr/bin/env python3
"""Register a softphone with beckon's registrar (digest), as a phone does.

    sip_register.py SIP_PORT USER PASSWORD LOCAL_PORT

REGISTERs sip:USER@127.0.0.1 with contact 127.0.0.1:LOCAL_PORT (where a
sipp may then answer as the phone), answers the 401 with the digest of
PASSWORD, prints "REGISTER <code>" and exits 0 on 200.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sipraw  # noqa: E402

port, user, password, lport = sys.argv[1:5]
c = sipraw.Client("127.0.0.1", int(port), lport=int(lport))
r = c.send(c.register(user))
r = c.send(c.register(user, auth=c.digest(r, user, password)))
print("REGISTER %d" % r.code)
sys.exit(r.code != 200)
