"""A webhook receiver for the tests: checks each delivery's
Beckon-Signature (HMAC-SHA256 of t.body with the secret, t within five
minutes) and appends "event_id type callback_id status" to a log, one
line per delivery it answered 2xx. It answers 500 to its first FAILS
requests (a CRM that fails, then recovers), and 400 to a bad signature
(logged as BADSIG); with FAILS "hang" it never answers (logged as HUNG).
An event without a callback (agent.presence) is logged as
"event_id type agent:ID state". Every body it answered 2xx is also
appended, one JSON object a line, to LOG.json. With PEM (a certificate
chain and its key) it serves HTTPS (a client refusing the certificate
reaches no handler: nothing is logged).
Usage: webhook_receiver.py PORT SECRET LOG [FAILS|hang [PEM]]
"""
import hashlib
import hmac
import http.server
import json
import ssl
import sys
import time

PORT, SECRET, LOG = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]
HANG = len(sys.argv) > 4 and sys.argv[4] == "hang"
FAILS = int(sys.argv[4]) if len(sys.argv) > 4 and not HANG else 0
PEM = sys.argv[5] if len(sys.argv) > 5 else None
seen = {"n": 0}


def signature_ok(header, body):
    parts = dict(p.split("=", 1) for p in header.split(","))
    t = parts["t"]
    want = hmac.new(SECRET, t.encode() + b"." + body,
                    hashlib.sha256).hexdigest()
    return (hmac.compare_digest(want, parts["v1"])
            and abs(time.time() - int(t)) < 300)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        seen["n"] += 1
        if HANG:
            with open(LOG, "a") as f:
                f.write("HUNG\n")
            time.sleep(3600)
        with open(LOG, "a") as f:
            try:
                ok = signature_ok(self.headers["Beckon-Signature"], body)
            except (KeyError, ValueError, AttributeError):
                ok = False
            if not ok:
                f.write("BADSIG\n")
                self.send_response(400)
            elif seen["n"] <= FAILS:
                f.write("FAILED\n")
                self.send_response(500)
            else:
                ev = json.loads(body)
                if "callback" in ev:
                    who = ev["callback"]["id"], ev["callback"]["status"]
                else:
                    who = ("agent:" + ev["data"]["agent"]["id"],
                           ev["data"]["state"])
                f.write("%s %s %s %s\n" % ((ev["id"], ev["type"]) + who))
                with open(LOG + ".json", "a") as j:
                    j.write(json.dumps(ev) + "\n")
                self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", PORT), Handler)
if PEM:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(PEM)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
