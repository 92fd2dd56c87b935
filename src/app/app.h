/*
 * app: wires the subsystems together and runs the event loop. `beckon serve`
 * is app_serve(); it returns when SIGINT or SIGTERM asked it to stop and every
 * accepted write has been committed.
 */
#ifndef BECKON_APP_H
#define BECKON_APP_H

struct cfg;

/*
 * Read the configuration again as it was read at the start (command
 * line, then the file): into a new *cfgp, or an error, logged.
 */
typedef int (app_load_h)(struct cfg **cfgp);

/* loadh: what SIGHUP uses to re-read the configuration (NULL: SIGHUP
 * says it cannot) */
int app_serve(struct cfg *cfg, app_load_h *loadh);

/* apply log_level, log_format and log_timestamps */
void app_log_setup(const struct cfg *cfg);

/* `beckon dialer`: the dialer alone (SIP, media, call-control listener),
 * until SIGINT or SIGTERM; its calls are hung up before it returns.
 * loadh as app_serve's: SIGHUP applies the log keys, names the rest. */
int app_dialer(struct cfg *cfg, app_load_h *loadh);

/*
 * The checks app_serve makes of cfg before it starts anything (the
 * dialer, rtpengine and trunk settings), alone: 0, or the error, logged
 * with the keys at fault. Nothing listens, no store is opened.
 */
int app_check(const struct cfg *cfg);

#endif
