/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ingest send: deliver a package's DICOM objects to the reviewing centre's PACS (DICOMweb or DIMSE), verified first. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "libingest-internal.h"
#include "commands.h"
#include "config.h"

static void send_usage(FILE *f)
{
	fprintf(f,
	        "Usage: ingest send PACKAGE [--to URL|NAME] [--config FILE] [options]\n"
	        "\n"
	        "Deliver the DICOM objects of a package (a BagIt bag folder, as `ingest package`\n"
	        "publishes it) to a PACS over DICOMweb or DIMSE: the package is verified first (as\n"
	        "by `ingest verify`; a package that fails is not sent); QIDO-RS (C-FIND) asks the\n"
	        "destination what it already holds, STOW-RS (C-STORE) sends the rest in batches,\n"
	        "and QIDO-RS (C-FIND) again confirms that it holds every SOP Instance UID. Run it\n"
	        "again after a failure or a kill: it sends only what is not there yet. A receipt\n"
	        "(JSON) is written to OUTBOX/receipts/CASE.json for a package at\n"
	        "OUTBOX/ready/CASE (or --receipt FILE).\n"
	        "\n"
	        "  --to URL             the DICOMweb base, e.g. https://pacs.example.org/dicom-web/\n"
	        "  --to dicom://CALLED_AET@HOST:PORT\n"
	        "                       a DIMSE destination (C-FIND, C-STORE): its AE title, host, port\n"
	        "  --calling-aet AET    DIMSE: our AE title (default " SEND_CALLING_AET ")\n"
	        "  --tls                DIMSE: over TLS; the destination's certificate is checked with --ca\n"
	        "  --commit-port N      DIMSE: ask for storage commitment of what C-FIND found, and take\n"
	        "                       the destination's answer on port N of this host (it must know\n"
	        "                       our AE title there); delivered only when it committed to all\n"
	        "  --allow-transcode    DIMSE: an object in a transfer syntax the destination refuses is\n"
	        "                       sent decoded (uncompressed) if it takes its SOP class so; never\n"
	        "                       compressed; listed in the receipt (sent_decoded)\n"
	        "  --to NAME            a destination of ingestd's configuration (destinations:);\n"
	        "                       without --to, its delivery.default\n"
	        "  --config FILE        that configuration (default: " INGESTD_DEFAULT_CONFIG ")\n"
	        "  --allow-http         allow a plain http:// destination (a closed network, tests)\n"
	        "  --ca FILE            CA certificates (PEM) the destination's certificate is checked with\n"
	        "  --token-file FILE    a bearer token, the file's first line\n"
	        "  --basic-file FILE    user:password for HTTP basic authentication, the file's first line\n"
	        "  --receipt FILE       write the receipt here\n"
	        "  --no-receipt         write no receipt\n"
	        "  --batch-bytes N      DICOM bytes per STOW-RS request or DIMSE association\n"
	        "                       (default 16 MiB, at most 1 GiB)\n"
	        "  --max-seconds N      wall time of the whole delivery, retries included (default 6 h)\n"
	        "  --max-bytes N        bytes sent by the whole delivery, retries included (default 64 GiB)\n"
	        "  -q, --quiet          print nothing but errors\n"
	        "\n"
	        "Credentials come only from files and are never printed nor written to the receipt.\n"
	        "\n"
	        "Exit status: 0 every object is confirmed at the destination, 1 not delivered\n"
	        "(the package fails verification, the destination refused objects, could not be\n"
	        "reached or the budgets ran out; the message says which), 2 usage error, 3 PACKAGE\n"
	        "cannot be read or is not a bag, 4 internal failure.\n");
}

static void log_stderr(void *ud, int level, const char *msg)
{
	bool quiet = *(bool *)ud;
	if (quiet && level > ING_LOG_ERR)
		return;
	fprintf(stderr, "ingest send: %s%s\n", level <= ING_LOG_ERR ? "error: " : "", msg);
}

static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* OUTBOX/receipts/CASE.json for a package at OUTBOX/<folder>/CASE. */
static char *default_receipt(const char *bag)
{
	_cleanup_free_ char *abs = realpath(bag, NULL);
	if (!abs)
		return NULL;
	char *slash = strrchr(abs, '/');
	if (!slash || slash == abs)
		return NULL;
	*slash = 0;
	const char *name = slash + 1;
	char *up = strrchr(abs, '/');
	if (!up)
		return NULL;
	*up = 0;
	return xasprintf("%s/receipts/%s.json", *abs ? abs : "", name);
}

int cmd_send(int argc, char **argv)
{
	enum {
		O_CONFIG = 256, O_ALLOW_HTTP, O_CA, O_TOKEN, O_BASIC, O_RECEIPT, O_NO_RECEIPT,
		O_BATCH, O_MAXSEC, O_MAXBYTES, O_CALLING, O_TLS, O_TRANSCODE, O_COMMIT,
	};
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "allow-http", no_argument, NULL, O_ALLOW_HTTP },
		{ "ca", required_argument, NULL, O_CA },
		{ "token-file", required_argument, NULL, O_TOKEN },
		{ "basic-file", required_argument, NULL, O_BASIC },
		{ "receipt", required_argument, NULL, O_RECEIPT },
		{ "no-receipt", no_argument, NULL, O_NO_RECEIPT },
		{ "batch-bytes", required_argument, NULL, O_BATCH },
		{ "max-seconds", required_argument, NULL, O_MAXSEC },
		{ "max-bytes", required_argument, NULL, O_MAXBYTES },
		{ "calling-aet", required_argument, NULL, O_CALLING },
		{ "tls", no_argument, NULL, O_TLS },
		{ "allow-transcode", no_argument, NULL, O_TRANSCODE },
		{ "commit-port", required_argument, NULL, O_COMMIT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct send_opts o;
	bool quiet = false, no_receipt = false;
	const char *receipt = NULL, *config = NULL;
	uint64_t v;
	int c;

	send_opts_default(&o);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hqt:", opts, NULL)) != -1) {
		switch (c) {
		case 't': o.url = optarg; break;
		case O_CONFIG: config = optarg; break;
		case O_ALLOW_HTTP: o.allow_http = true; break;
		case O_CA: o.ca_file = optarg; break;
		case O_TOKEN: o.token_file = optarg; break;
		case O_BASIC: o.basic_file = optarg; break;
		case O_RECEIPT: receipt = optarg; break;
		case O_CALLING: o.calling_aet = optarg; break;
		case O_TLS: o.tls = true; break;
		case O_TRANSCODE: o.allow_transcode = true; break;
		case O_NO_RECEIPT: no_receipt = true; break;
		case O_BATCH:
		case O_MAXSEC:
		case O_MAXBYTES:
		case O_COMMIT:
		{
			uint64_t max = c == O_BATCH ? SEND_BATCH_MAX_BYTES : c == O_MAXSEC ? UINT32_MAX
			               : c == O_COMMIT ? 65535 : UINT64_MAX;
			if (!parse_u64(optarg, 1, max, &v)) {
				fprintf(stderr, "ingest send: --%s %s: give a whole number from 1 to %" PRIu64 "\n",
				        c == O_BATCH ? "batch-bytes" : c == O_MAXSEC ? "max-seconds"
				        : c == O_COMMIT ? "commit-port" : "max-bytes", optarg, max);
				return EXIT_USAGE;
			}
		}
			if (c == O_COMMIT)
				o.commit_port = (unsigned)v;
			else if (c == O_BATCH)
				o.batch_bytes = v;
			else if (c == O_MAXSEC)
				o.max_seconds = (uint32_t)v;
			else
				o.max_bytes = v;
			break;
		case 'q': quiet = true; break;
		case 'h': send_usage(stdout); return EXIT_OK;
		default: return tool_bad_option("send", c, argv);
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "ingest send: give one PACKAGE folder; see 'ingest send --help'\n");
		return EXIT_USAGE;
	}
	if (receipt && no_receipt) {
		fprintf(stderr, "ingest send: give --receipt FILE or --no-receipt, not both\n");
		return EXIT_USAGE;
	}
	const char *bag = argv[optind];

	/* a name: the destination as ingestd's configuration has it; the options given here win */
	_cleanup_(config_freep) struct ingestd_config *cfg = NULL;
	if (!o.url || !strstr(o.url, "://")) {
		_cleanup_(strbuf_freep) struct strbuf errs;
		strbuf_init(&errs, 64 << 10);
		int cr = config_load_or_defaults(config ? config : INGESTD_DEFAULT_CONFIG, config != NULL, &cfg, &errs);
		if (cr < 0) {
			fprintf(stderr, "ingest send: the configuration is invalid:\n%s", errs.s ? errs.s : "");
			return cr == -EINVAL ? EXIT_USAGE : EXIT_INPUT;
		}
		if (!o.url && !cfg->delivery_default) {
			fprintf(stderr, "ingest send: give --to URL or --to NAME (%s sets no delivery.default)\n",
			        cfg->file ? cfg->file : INGESTD_DEFAULT_CONFIG);
			return EXIT_USAGE;
		}
		if (!o.url)
			o.url = cfg->delivery_default;
		const struct ingestd_destination *d = config_destination(cfg, o.url);
		if (!d) {
			fprintf(stderr, "ingest send: no destination \"%s\" in %s; give a URL "
			        "(https://host/dicom-web/) or a name from its destinations:\n", o.url,
			        cfg->file ? cfg->file : INGESTD_DEFAULT_CONFIG);
			return EXIT_USAGE;
		}
		if (d->dimse) {
			o.url = d->dimse;
			if (!o.calling_aet)
				o.calling_aet = d->calling_aet;
			o.tls = o.tls || d->tls;
			o.allow_transcode = o.allow_transcode || d->allow_transcode;
			if (!o.commit_port)
				o.commit_port = d->commit_port;
		} else {
			o.url = d->dicomweb;
			o.allow_http = o.allow_http || d->allow_http;
			if (!o.token_file && !o.basic_file) {
				o.token_file = d->token_file;
				o.basic_file = d->basic_file;
			}
		}
		if (!o.ca_file)
			o.ca_file = d->ca_file;
	} else if (config) {
		fprintf(stderr, "ingest send: --config is for --to NAME; --to %s is a URL\n", o.url);
		return EXIT_USAGE;
	}
	if ((o.tls || o.calling_aet || o.allow_transcode || o.commit_port) && !send_url_is_dimse(o.url)) {
		fprintf(stderr, "ingest send: --tls, --calling-aet, --allow-transcode and --commit-port are for a DIMSE "
		        "destination (dicom://...); %s is DICOMweb\n", o.url);
		return EXIT_USAGE;
	}
	_cleanup_(ing_ctx_freep) struct ing_ctx *ctx = NULL;
	int r = ing_ctx_new(&ctx);
	if (r < 0) {
		fprintf(stderr, "ingest send: cannot start: %s\n", ing_strerror(r));
		return EXIT_INTERNAL;
	}
	ing_ctx_set_log(ctx, log_stderr, &quiet, ING_LOG_INFO);

	/* verified first (by send_package(), beside its first steps, which send nothing): a package that fails
	 * is not sent */
	o.verify = true;
	_cleanup_free_ char *def_receipt = NULL;
	if (!no_receipt) {
		if (!receipt) {
			def_receipt = default_receipt(bag);
			if (!def_receipt) {
				fprintf(stderr, "ingest send: no folder above %s for the receipt; "
				        "give --receipt FILE\n", bag);
				return EXIT_USAGE;
			}
		}
		o.receipt_path = receipt ? receipt : def_receipt;
	}
	/* a destination that drops a TLS connection mid-upload must be an error, not SIGPIPE's kill: libcurl
	 * runs with CURLOPT_NOSIGNAL, and OpenSSL writes with write() (the daemon ignores SIGPIPE too) */
	signal(SIGPIPE, SIG_IGN);
	struct send_result res;
	r = send_package(ctx, bag, &o, &res);
	if (res.verify_failed) {
		/* a package that is no bag or cannot be read is the input's fault; one that fails, a finding */
		int vr_r = res.verify_r;
		fprintf(stderr, "ingest send: %s.\n", res.error);
		send_result_clear(&res);
		return vr_r == 0 || vr_r == -EBADMSG || vr_r == -E2BIG ? EXIT_FINDINGS : EXIT_INPUT;
	}
	if (r == -EINVAL || r == -EPROTONOSUPPORT || r == -ENOTSUP) {
		fprintf(stderr, "ingest send: %s\n", res.error ? res.error : ing_strerror(r));
		send_result_clear(&res);
		return EXIT_USAGE;
	}
	if (r < 0 || !res.delivered) {
		fprintf(stderr, "ingest send: %s: not delivered: %s\n", path_basename(bag),
		        res.error ? res.error : ing_strerror(r));
		if (!quiet)
			printf("NOT DELIVERED: %" PRIu64 " objects, %" PRIu64 " already there, %" PRIu64 " sent, "
			       "%" PRIu64 " refused, %" PRIu64 " confirmed\n", res.objects, res.already, res.sent,
			       res.failed, res.confirmed);
		send_result_clear(&res);
		return EXIT_FINDINGS;
	}
	char extra[96] = "";   /* decoding and storage commitment, when they happened */
	if (res.transcoded > 0)
		snprintf(extra, sizeof extra, "; %" PRIu64 " sent decoded", res.transcoded);
	if (res.commitment == COMMIT_ANSWERED)
		snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "; storage commitment: all committed");
	else if (res.commitment == COMMIT_NOT_OFFERED)
		snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "; storage commitment not offered");
	if (!quiet)
		printf("DELIVERED: %" PRIu64 " of %" PRIu64 " objects confirmed (%" PRIu64 " already there, %" PRIu64
		       " sent, %" PRIu64 " bytes in %u requests%s)%s%s\n", res.confirmed, res.objects, res.already,
		       res.sent, res.bytes_sent, res.requests, extra, o.receipt_path ? "; receipt " : "",
		       o.receipt_path ? o.receipt_path : "");
	send_result_clear(&res);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_INTERNAL;
}
