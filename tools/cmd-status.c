/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ingest status: cases and drops as the journal has them (read-only, works while ingestd runs). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "config.h"
#include "journal.h"

static void status_usage(FILE *f)
{
	fprintf(f,
	        "Usage: ingest status [CASE] [--config FILE | --db STATE_DB]\n"
	        "\n"
	        "Show the cases ingestd knows, their state, the step each drop is at with its\n"
	        "progress, the last report (status, required gaps), and the delivery of the\n"
	        "case's package (destination, objects sent / confirmed / failed, delivered or\n"
	        "why not). Reads the journal read-only; safe while the daemon runs.\n"
	        "\n"
	        "  --config FILE   ingestd's configuration, to find the journal (default: %s;\n"
	        "                  without it, the default journal " INGESTD_DEFAULT_BASE "/state.db)\n"
	        "  --db FILE       the journal itself (state.db)\n"
	        "\n"
	        "Exit status: 0 ok, 1 CASE is not in the journal, 2 usage error, 3 the journal\n"
	        "cannot be read.\n", INGESTD_DEFAULT_CONFIG);
}

static void fmt_time(int64_t t, char *buf, size_t n)
{
	struct tm tm;
	time_t tt = (time_t)t;
	localtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
}

struct st {
	struct journal *j;
	unsigned cases;
};

static int print_drop(void *ud, const struct journal_drop *d)
{
	char t[32];
	fmt_time(d->received_at, t, sizeof(t));
	printf("    drop %-6lld %-40s %s  %-11s", (long long)d->id, d->name, t, journal_step_name(d->step));
	if (d->step < STEP_ARCHIVED && d->files_total)
		printf("  files %llu/%llu  bytes %llu/%llu", (unsigned long long)d->files_done,
		       (unsigned long long)d->files_total, (unsigned long long)d->bytes_done,
		       (unsigned long long)d->bytes_total);
	printf("\n");
	if (d->last_error && d->step < STEP_ARCHIVED)
		printf("           last error (attempt %u): %s\n", d->attempts, d->last_error);
	return 0;
}

/* The case's latest delivery (SPEC §10): where, how far, delivered or why not. */
static void print_delivery(struct journal *j, const char *case_id)
{
	_cleanup_(journal_delivery_clear) struct journal_delivery d = { 0 };
	if (journal_delivery_last(j, case_id, &d) < 0)
		return;
	char t[32], n[32];
	const char *dest = d.destination && *d.destination ? d.destination : "(not known)";
	printf("    delivery to %s: ", dest);
	switch (d.state) {
	case DELIVERY_PENDING:
		if (d.attempts == 0) {
			printf("waiting to be sent\n");
		} else {
			fmt_time(d.next_at, n, sizeof(n));
			printf("attempt %u did not finish; next attempt at %s\n", d.attempts, n);
		}
		break;
	case DELIVERY_SENDING:
		fmt_time(d.started_at, t, sizeof(t));
		printf("sending since %s (attempt %u)\n", t, d.attempts);
		break;
	case DELIVERY_DELIVERED:
		fmt_time(d.finished_at, t, sizeof(t));
		printf("delivered %s\n", t);
		break;
	case DELIVERY_FAILED:
		fmt_time(d.finished_at, t, sizeof(t));
		printf("NOT delivered (failed %s, after %u attempt%s)\n", t, d.attempts, d.attempts == 1 ? "" : "s");
		break;
	case DELIVERY_HELD:
		printf("HELD, not sent\n");
		break;
	case DELIVERY_SUPERSEDED:
		printf("stopped: a later package of the case replaced it (no delivery for that one: it is not ready, "
		       "or goes nowhere)\n");
		break;
	default:
		printf("%s\n", journal_delivery_state_name(d.state));
		break;
	}
	if (d.attempts && d.state != DELIVERY_HELD)
		printf("           objects %llu: sent %llu, already there %llu, confirmed %llu, failed %llu; %llu bytes "
		       "sent\n", (unsigned long long)d.objects, (unsigned long long)d.sent, (unsigned long long)d.already,
		       (unsigned long long)d.confirmed, (unsigned long long)d.failed, (unsigned long long)d.bytes_sent);
	if (d.error && d.state != DELIVERY_DELIVERED)
		printf("           %s: %s\n", d.state == DELIVERY_PENDING || d.state == DELIVERY_SENDING ? "last error" : "why",
		       d.error);
}

static int print_case(void *ud, const struct journal_case *c)
{
	struct st *s = ud;
	char t[32];
	fmt_time(c->updated_at, t, sizeof(t));
	s->cases++;
	printf("%s  %s  drops %u (%u in progress)  updated %s\n", c->id,
	       c->open_drops ? "processing" : c->status ? "idle" : "no report yet", c->drops, c->open_drops, t);
	if (c->status)
		printf("    last report: %s, %d required gap%s, package %s (%s)\n", c->status, c->required_gaps,
		       c->required_gaps == 1 ? "" : "s", c->package_path ? c->package_path : "?",
		       c->state ? c->state : "?");
	print_delivery(s->j, c->id);
	journal_foreach_drop(s->j, c->id, false, print_drop, NULL);
	return 0;
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *config = NULL, *db = NULL;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hc:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': db = optarg; break;
		case 'h': status_usage(stdout); return EXIT_OK;
		default: return tool_bad_option("status", c, argv);
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "ingest status: give one CASE at most; see 'ingest status --help'\n");
		return EXIT_USAGE;
	}
	const char *case_id = optind < argc ? argv[optind] : NULL;
	struct ingestd_config *cfg = NULL;
	if (!db) {
		struct strbuf errs;
		strbuf_init(&errs, 1u << 16);
		/* No --config and no configuration file: the daemon runs on the
		 * defaults, and so its journal is the default one. */
		int r = config_load_or_defaults(config ? config : INGESTD_DEFAULT_CONFIG, config != NULL, &cfg, &errs);
		if (r < 0) {
			fprintf(stderr, "ingest status: the configuration is invalid:\n%s", errs.s ? errs.s : "");
			strbuf_free(&errs);
			return EXIT_USAGE;
		}
		strbuf_free(&errs);
		db = cfg->state_db;
	}
	struct journal *j = NULL;
	int r = journal_open(db, true, &j);
	if (r < 0) {
		fprintf(stderr, "ingest status: cannot read the journal \"%s\": %s. Is ingestd installed and has it "
		        "run once? Give the journal with --db.\n", db, strerror(-r));
		config_free(cfg);
		return EXIT_INPUT;
	}
	/* A reload whose rules did not validate: the daemon still uses the last good ones (SPEC §11). */
	int64_t failed_at, good_at = 0;
	_cleanup_free_ char *failed = NULL, *good = NULL;
	if (journal_note_get(j, JOURNAL_NOTE_RULES_FAILED, &failed_at, &failed) == 0) {
		char t1[32], t2[32] = "?";
		fmt_time(failed_at, t1, sizeof(t1));
		if (journal_note_get(j, JOURNAL_NOTE_RULES_GOOD, &good_at, &good) == 0)
			fmt_time(good_at, t2, sizeof(t2));
		printf("rules: last reload failed at %s: %s; using the rules validated at %s\n", t1, failed, t2);
	}
	struct st s = { .j = j };
	r = journal_foreach_case(j, case_id, print_case, &s);
	if (r < 0)
		fprintf(stderr, "ingest status: reading the journal failed: %s\n", strerror(-r));
	else if (!s.cases)
		printf(case_id ? "No case %s in the journal.\n" : "No cases yet.\n", case_id);
	journal_close(j);
	config_free(cfg);
	return r < 0 ? EXIT_INPUT : case_id && !s.cases ? EXIT_FINDINGS : EXIT_OK;
}
