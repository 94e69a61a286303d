/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * DICOM networking as a service user (SCU), through DCMTK's network module
 * (dcmnet, dcmtls): one association, C-STORE of files, C-FIND of the SOP
 * Instance UIDs of a study (Study Root, IMAGE level). The delivery over DIMSE
 * (send-dimse.c) is its only user. No C++ type or exception crosses this
 * header: every function catches everything.
 *
 * Errors: 0, or a negative errno with *err set (malloc'd, plain words, the
 * caller frees it):
 *   -ECONNREFUSED, -ECONNRESET, -EHOSTUNREACH, -ETIMEDOUT: the network (the
 *            peer down, restarting, cut off): worth trying again
 *   -EAGAIN  the peer rejected the association for a transient reason
 *   -EACCES  the peer rejected it for good (an AE title not recognized ...)
 *   -EPROTO  the peer broke the protocol or aborted
 *   -EBADMSG the file cannot be read as DICOM (that object only)
 *   -ENOTSUP TLS asked and this build of DCMTK has none
 *   -EINVAL, -ENOMEM
 */
#ifndef INGEST_DIMSE_H
#define INGEST_DIMSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Presentation contexts one association proposes at most (their IDs are the
 * odd numbers 1..255, one kept for C-FIND). */
#define DIMSE_MAX_PCS 120

struct dimse_peer {
	const char *host;            /* a host name or an IPv4 address */
	unsigned port;
	const char *called_aet;      /* the peer's AE title (1..16 characters) */
	const char *calling_aet;     /* ours */
	const char *tls_ca_file;     /* non-NULL: TLS, the peer's certificate checked with these CAs (PEM) */
	unsigned timeout_s;          /* connecting, the association and each answer */
};

/* One presentation context to propose: a SOP class in one transfer syntax,
 * or (TRANSFER_SYNTAX NULL) in the uncompressed ones, Explicit then Implicit
 * VR Little Endian, of which the peer takes one: the context of objects sent
 * decoded (dimse_store()'s DECODE) when the peer refuses their own syntax. */
struct dimse_pc {
	const char *sop_class;
	const char *transfer_syntax;
};

struct dimse_assoc;

/* Whether this build of DCMTK can speak TLS. */
bool dimse_tls_available(void);

/* What an association is for, besides the storage contexts of dimse_open(). */
enum {
	DIMSE_FIND = 1 << 0,         /* Study Root Query/Retrieve - FIND */
	DIMSE_COMMIT = 1 << 1,       /* Storage Commitment Push Model (its N-ACTION) */
};

/*
 * Open an association to P proposing PCS (at most DIMSE_MAX_PCS), and the
 * services of WHAT (DIMSE_FIND, DIMSE_COMMIT) in the uncompressed syntaxes.
 * 0 with *out set, or an error above. An association is opened even when the
 * peer accepts none of PCS (dimse_pc_refused() says why for each).
 */
int dimse_open(const struct dimse_peer *p, const struct dimse_pc *pcs, size_t n, unsigned what,
               struct dimse_assoc **out, char **err);

/* NULL when PCS[I] of dimse_open() was accepted, else why not in words (static). */
const char *dimse_pc_refused(const struct dimse_assoc *a, size_t i);

/* The transfer syntax (UID) the peer accepted PCS[I] in; NULL when refused. Valid until dimse_close(). */
const char *dimse_pc_syntax(const struct dimse_assoc *a, size_t i);

/*
 * C-STORE of the DICOM file at PATH, whose SOP class and transfer syntax
 * are PCS[I] of dimse_open() (accepted), sent in that transfer syntax as it
 * is (no conversion; pixel data streamed from the file, not held).
 *
 * DECODE (the operator allowed it; PCS[I] is the object's SOP class in the
 * uncompressed syntaxes, NULL above): the object is sent in the syntax the
 * peer accepted there instead, its compressed pixel data decoded in memory
 * by DCMTK's decoders (at most MAX_DECODED bytes of pixels; no decoder for
 * JPEG 2000), its other encodings (big endian, deflated) written again. Its
 * SOP Instance UID is kept (the pixels are those the compressed ones stand
 * for); one decoded from a lossy syntax gets Lossy Image Compression
 * (0028,2110) "01", as PS3.3 C.7.6.1.1.5 requires. Nothing is ever
 * compressed.
 *
 * 0 with *status the peer's answer (0x0000 stored, 0xB000-0xBFFF stored
 * with a warning, anything else refused: dimse_status_text()), or an error
 * above: -EBADMSG for this file (unreadable, or cannot be decoded here:
 * *err says why), a network error when the association broke (it is then
 * closed: open another).
 */
int dimse_store(struct dimse_assoc *a, size_t i, const char *path, const char *sop_instance_uid, bool decode,
                uint64_t max_decoded, unsigned *status, char **err);

/* The meaning of a C-STORE status in words (static). */
const char *dimse_status_text(unsigned status);

/*
 * C-FIND (Study Root, IMAGE level) of the instances of STUDY: CB with each
 * answer's SOP Instance UID (valid during the call), at most MAX answers (the
 * rest are ignored; *more set). 0, or an error above (-EPROTO also when the
 * peer answers the query with a failure status, or accepted no C-FIND).
 */
int dimse_find_instances(struct dimse_assoc *a, const char *study_uid, size_t max,
                         void (*cb)(void *ud, const char *sop_instance_uid), void *ud, bool *more, char **err);

/* Release the association (abort it when ABORT or when the release fails) and free A. NULL is a no-op. */
void dimse_close(struct dimse_assoc *a, bool abort);

/*
 * Storage commitment, Push Model (PS3.4 Annex J). The peer answers a request
 * later, on an association of its own to us (as Orthanc and most PACS do):
 * so first listen (dimse_listen()), then ask (dimse_commit_request()), then
 * take the answer (dimse_commit_wait()).
 */
struct dimse_ref {
	const char *sop_class;
	const char *sop_instance;
};
struct dimse_listener;

/* Listen on PORT (every address) for the peer's association: only one whose
 * calling AE title is PEER_AET and called AE title OUR_AET, proposing the
 * Storage Commitment Push Model, is accepted. 0 with *out set, -EADDRINUSE
 * (another delivery listens there), or another error above. */
int dimse_listen(unsigned port, const char *our_aet, const char *peer_aet, unsigned timeout_s,
                 struct dimse_listener **out, char **err);
void dimse_listen_close(struct dimse_listener *l);

/* N-ACTION-RQ over A (opened with DIMSE_COMMIT): commit to storing the N
 * objects of REFS, under TRANSACTION_UID. 0 when the peer took the request;
 * -ENOTSUP when it does not offer storage commitment (the context refused);
 * -EPROTO when it refused the request (its status in *err); or a network
 * error above. */
int dimse_commit_request(struct dimse_assoc *a, const char *transaction_uid, const struct dimse_ref *refs, size_t n,
                         char **err);

/* The peer's answer on L for TRANSACTION_UID, waited for until DEADLINE_MS
 * (mono_ms()): CB once per SOP Instance UID it names, COMMITTED true (its
 * Referenced SOP Sequence) or false with FAILURE its Failure Reason (Failed
 * SOP Sequence; 0 when none given). Associations and reports that are not
 * the peer's, or of another transaction, are refused or ignored; a report
 * longer than MAX_BYTES is cut off. 0 once the report came, -ETIMEDOUT when
 * none came in time, or an error above. */
/* The data set of an N-EVENT-REPORT (BUF, LEN bytes as they came: our
 * structural walk first, then DCMTK on what it verified): 1 when it is the
 * report of TRANSACTION_UID, CB called once per SOP Instance UID it names
 * (as dimse_commit_wait()'s); 0 when it is not (unreadable, or another
 * transaction's); -ENOMEM. dimse_commit_wait() uses it; fuzz-commit-report
 * tests it. */
int dimse_report_parse(const void *buf, size_t len, const char *transaction_uid,
                       void (*cb)(void *ud, const char *sop_instance_uid, bool committed, unsigned failure), void *ud);

int dimse_commit_wait(struct dimse_listener *l, const char *transaction_uid, uint64_t deadline_ms, size_t max_bytes,
                      void (*cb)(void *ud, const char *sop_instance_uid, bool committed, unsigned failure), void *ud,
                      char **err);

#ifdef __cplusplus
}
#endif
#endif
