/*
 * A zero-delay timer that never waits a millisecond.
 *
 * libre 1.1.0 runs due timers after each poll of the sockets, with the
 * clock read once at the start of the round; a timer started by another
 * timer's handler in a later millisecond is left for the next round, and
 * for a due timer the poll waits up to 1 ms (tmr_next_timeout answers 1,
 * not 0). A chain of "run this soon" steps (a request's commit, the
 * ACD's dispatch, the claim's commit) therefore paid up to a millisecond
 * each on an idle server. tmr_start_now starts the timer and makes an
 * eventfd readable, so the next poll returns at once; the timer then runs
 * in that round. One write per round at most.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <re.h>
#define LOG_SUBSYS "app"
#include "util/util.h"

static int wake_fd = -1;
static bool wake_pending;


static void wake_h(int flags, void *arg)
{
	uint64_t n;
	(void)flags;
	(void)arg;

	/* only the wake-up matters, not how many */
	if (read(wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("wake: %s", strerror(errno));
	wake_pending = false;
}


int wake_init(void)
{
	int err;

	if (wake_fd >= 0)
		return 0;

	wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (wake_fd < 0)
		return errno;

	err = fd_listen(wake_fd, FD_READ, wake_h, NULL);
	if (err) {
		close(wake_fd);
		wake_fd = -1;
	}

	return err;
}


void wake_close(void)
{
	if (wake_fd < 0)
		return;

	fd_close(wake_fd);
	close(wake_fd);
	wake_fd = -1;
	wake_pending = false;
}


void tmr_start_now(struct tmr *tmr, tmr_h *th, void *arg)
{
	uint64_t one = 1;

	tmr_start(tmr, 0, th, arg);

	/* without wake_init (tests, tools) the timer still runs, later */
	if (wake_fd < 0 || wake_pending)
		return;

	if (write(wake_fd, &one, sizeof(one)) == sizeof(one))
		wake_pending = true;
}
