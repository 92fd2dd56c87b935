/*
 * bizdir: the directory of businesses, each parsed once (its opening
 * hours and its time zone), which the API and the ACD both read. The
 * store has the records; the directory is what the running server reads
 * them through, changed only by bizdir_set: at start-up, when the config
 * file is read again, and by the admin API, each time the record is
 * stored. A business found stays valid until the next bizdir_set of it:
 * take it, use it, do not keep it across an event.
 */
#ifndef BECKON_BIZDIR_H
#define BECKON_BIZDIR_H

#include <stdbool.h>
#include <stddef.h>

struct bizdir;
struct business;
struct hours;
struct tz_registry;
struct tz_zone;

struct biz {
	struct le he;             /* in the directory */
	struct business *b;       /* the record, a copy */
	struct hours *hours;      /* b->hours and b->closed; NULL: open */
	struct tz_zone *zone;     /* b->timezone; NULL: UTC */
};

int  bizdir_alloc(struct bizdir **dp);
/* add b, or replace the business of its id (a copy is kept) */
int  bizdir_set(struct bizdir *d, const struct business *b);
struct biz *bizdir_find(const struct bizdir *d, const char *id,
			size_t len);
/* the first business for which h says true, or NULL */
typedef bool (bizdir_apply_h)(const struct biz *bz, void *arg);
struct biz *bizdir_apply(const struct bizdir *d, bizdir_apply_h *h,
			 void *arg);
/* the zones' registry (a time zone named in a request is checked in it) */
struct tz_registry *bizdir_tz(const struct bizdir *d);

#endif
