/*
 * app's private parts: the port that connects the ACD to the dialer.
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

#endif
