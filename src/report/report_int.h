/*
 * What report.c (building) and format.c (writing) share.
 */
#ifndef BECKON_REPORT_INT_H
#define BECKON_REPORT_INT_H

#include "report/report.h"

/* one row of the report: a period and a breakdown key */
struct report_group {
	struct le he;
	int64_t period;           /* its first local day */
	char *key;                /* "" without a breakdown */
	int64_t requested;
	int64_t connected;
	int64_t fast;             /* within REPORT_FAST_S */
	int64_t sla;              /* within the business's sla_seconds */
	int64_t abandoned;
	int64_t failed;
	int64_t canceled;
	int64_t sales;
	int64_t *connect_s;       /* seconds to connect, sorted at the end */
	size_t nconn, capconn;
	struct report_total {
		char currency[4];
		int64_t sales;
		int64_t cents;
	} totalv[REPORT_CURRENCIES_MAX];
	size_t totaln;
	bool hour_order;          /* sorted by key, not by size */
};

struct report {
	struct report_query q;
	struct hash *groups;
	size_t ngroups;
	struct report_group **groupv;   /* sorted */
	size_t ngroupv;
	bool totals_cut;          /* a group had more currencies */
};

/* the percentile p (1..100) of a group's seconds, rank_percentile's
 * nearest rank; -1 none */
int64_t report_percentile(const struct report_group *g, int p);

#endif
