/*
 * app's private parts: the ports that connect the ACD to a dialer, in
 * this process (port.c) or in another over the call-control protocol
 * (remote.c).
 */
#ifndef BECKON_APP_INT_H
#define BECKON_APP_INT_H

struct acd;
struct dialer;

struct port {
	struct acd *acd;
	struct dialer *d;
};

void app_port_connect(struct port *p, struct acd *acd, struct dialer *d);

/* An agent's endpoint as the dialer takes it ("registered": its id). */
const char *app_agent_target(const char *endpoint, const char *agent_id);

/*
 * A dialer in another process, `dialer = tcp://HOST:PORT` (HOST an IPv4
 * or [IPv6] address, or localhost): connects, authenticates with an HMAC
 * of control_secret, and keeps connecting back, forever, with a backoff.
 * app_remote_shutdown hangs up the calls in flight and stops reconnecting;
 * app_remote_calls counts the calls whose end has not come back yet.
 */
struct remote;
struct sa;

int  app_remote_parse(struct sa *addr, const char *url);
int  app_remote_alloc(struct remote **rp, struct acd *acd, const char *url,
		      const char *secret);
void app_remote_shutdown(struct remote *r);
unsigned app_remote_calls(const struct remote *r);

#endif
