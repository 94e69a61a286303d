/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dimse.h through DCMTK's dcmnet (and dcmtls for TLS): an association as a
 * service user, C-STORE of files, C-FIND of a study's instances. Nothing of
 * DCMTK crosses dimse.h: every exported function catches everything.
 */
#include "dimse.h"
#include "util/clock.h"
#include "dcm-private.h"   /* first: its MIN/MAX before <sys/param.h>'s, which DCMTK's dcmnet includes */

#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcostrma.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/cond.h>
#include <dcmtk/dcmnet/dcmtrans.h>
#include <dcmtk/dcmnet/dimse.h>
#include <dcmtk/dcmnet/dul.h>
#ifdef WITH_OPENSSL
#include <dcmtk/dcmtls/tlslayer.h>
#endif


struct dimse_assoc {
	T_ASC_Network *net = nullptr;
	T_ASC_Association *assoc = nullptr;
	std::vector<T_ASC_PresentationContextID> ids;   /* per proposed context */
	std::vector<const char *> refused;              /* per proposed context: NULL accepted */
	std::vector<std::string> accepted;              /* per proposed context: the syntax accepted ("" refused) */
	unsigned timeout_s = 60;
	bool broken = false;
};

namespace {

void set_err(char **err, const std::string &s)
{
	if (!err)
		return;
	free(*err);
	*err = strdup(s.c_str());
}

/* A value of DCMTK's (an AE title, a UID) without the spaces (and, through c_str(), the NUL) that pad it. */
std::string trimmed(const char *s)
{
	std::string t(s ? s : "");
	while (!t.empty() && t.back() == ' ')
		t.pop_back();
	size_t b = t.find_first_not_of(' ');
	return b == std::string::npos ? std::string() : t.substr(b);
}

/* F() with nothing thrown across dimse.h: out of memory is -ENOMEM, anything else WHY in *err and CODE. */
template <typename F> int guarded(char **err, const char *why, int code, F &&f)
{
	try {
		return f();
	} catch (const std::bad_alloc &) {
		set_err(err, "out of memory");
		return -ENOMEM;
	} catch (...) {
		set_err(err, why);
		return code;
	}
}

/* What a failed dcmnet call means for the caller: a negative errno. */
int classify(const OFCondition &c)
{
	if (c == DUL_READTIMEOUT || c == DIMSE_NODATAAVAILABLE)
		return -ETIMEDOUT;
	/* a TLS handshake that fails (the certificate not trusted) is no passing trouble: not worth a retry */
	if (strstr(c.text(), "TLS error") || (c.module() == OFM_dcmnet && c.code() == DULC_TLSERROR))
		return -EPROTO;
	if (c.module() == OFM_dcmnet && c.code() == DULC_TCPINITERROR) {
		const char *t = c.text();
		if (strstr(t, "refused"))
			return -ECONNREFUSED;
		if (strstr(t, "timed out") || strstr(t, "Timeout"))
			return -ETIMEDOUT;
		return -EHOSTUNREACH;
	}
	return -ECONNRESET;
}

std::string cond_text(const OFCondition &c)
{
	std::string s = c.text();
	/* one line, printable */
	for (char &ch : s)
		if ((unsigned char)ch < 0x20 || (unsigned char)ch >= 0x7f)
			ch = ' ';
	return s;
}

const char *pc_reason(T_ASC_P_ResultReason r)
{
	switch (r) {
	case ASC_P_ABSTRACTSYNTAXNOTSUPPORTED:
		return "the destination does not accept this SOP class (presentation context refused: abstract syntax "
		       "not supported)";
	case ASC_P_TRANSFERSYNTAXESNOTSUPPORTED:
		return "the destination does not accept this object's transfer syntax for its SOP class (presentation "
		       "context refused: transfer syntax not supported; it is not recompressed)";
	case ASC_P_USERREJECTION:
		return "the destination refused this SOP class and transfer syntax (presentation context refused by "
		       "the user)";
	default:
		return "the destination refused this SOP class and transfer syntax (presentation context refused, no "
		       "reason given)";
	}
}

std::string reject_text(const T_ASC_RejectParameters &rej)
{
	switch (rej.reason) {
	case ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED:
		return "it does not know our AE title (calling AE title not recognized): ask its administrator to add it, "
		       "or set the calling AE title it expects";
	case ASC_REASON_SU_CALLEDAETITLENOTRECOGNIZED:
		return "the called AE title is not its own (called AE title not recognized): check the destination's AE "
		       "title";
	case ASC_REASON_SU_APPCONTEXTNAMENOTSUPPORTED:
		return "application context name not supported";
	case ASC_REASON_SP_ACSE_PROTOCOLVERSIONNOTSUPPORTED:
		return "protocol version not supported";
	case ASC_REASON_SP_PRES_TEMPORARYCONGESTION:
		return "temporary congestion";
	case ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED:
		return "local limit exceeded (too many associations)";
	default:
		return "no reason given";
	}
}

/* DCMTK keeps the socket of a connection protected; a pointer to the member, taken in a derived class, reads it. */
struct socket_of : DcmTransportConnection {
	static DcmNativeSocketType get(DcmTransportConnection *c)
	{
		DcmNativeSocketType (DcmTransportConnection::*pm)() = &socket_of::getSocket;
		return (c->*pm)();
	}
};

/* Set a TCP option of the association's socket (best effort: only speed depends on it). */
void tcp_option(T_ASC_Association *assoc, int opt)
{
	DcmTransportConnection *conn = assoc ? DUL_getTransportConnection(assoc->DULassociation) : nullptr;
	DcmNativeSocketType fd = conn ? socket_of::get(conn) : -1;
	int one = 1;
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, opt, &one, sizeof one);
}

const char *uncompressed[] = { UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax,
	                             UID_BigEndianExplicitTransferSyntax };

int open_assoc(const struct dimse_peer *p, const struct dimse_pc *pcs, size_t n, unsigned what, struct dimse_assoc **out,
               char **err)
{
	dcm_quiet();
	if (!p->host || !p->called_aet || !p->calling_aet || p->port == 0 || p->port > 65535 || n > DIMSE_MAX_PCS ||
	    (n == 0 && !what)) {
		set_err(err, "bad association parameters");
		return -EINVAL;
	}
	int timeout = p->timeout_s ? (int)p->timeout_s : 60;
	auto *a = new dimse_assoc();
	a->timeout_s = (unsigned)timeout;
	T_ASC_Parameters *params = nullptr;

	dcmConnectionTimeout.set(timeout);
	dcmSocketSendTimeout.set(timeout);
	dcmSocketReceiveTimeout.set(timeout);
	OFCondition c = ASC_initializeNetwork(NET_REQUESTOR, 0, timeout, &a->net);
	if (c.bad()) {
		set_err(err, "cannot set up DICOM networking: " + cond_text(c));
		delete a;
		return -ENOMEM;
	}
	if (p->tls_ca_file) {
#ifdef WITH_OPENSSL
		auto *tls = new DcmTLSTransportLayer(NET_REQUESTOR, nullptr, OFTrue);
		if (tls->setTLSProfile(TSP_Profile_BCP195).bad() || tls->activateCipherSuites().bad()) {
			delete tls;
			set_err(err, "cannot set up TLS (the BCP 195 profile)");
			dimse_close(a, true);
			return -EPROTO;
		}
		if (tls->addTrustedCertificateFile(p->tls_ca_file, DCF_Filetype_PEM).bad()) {
			delete tls;
			set_err(err, std::string("cannot read the CA certificates (PEM) in ") + p->tls_ca_file);
			dimse_close(a, true);
			return -ENOENT;
		}
		tls->setCertificateVerification(DCV_requireCertificate);
		c = ASC_setTransportLayer(a->net, tls, 1);
		if (c.bad()) {
			delete tls;
			set_err(err, "cannot set up TLS: " + cond_text(c));
			dimse_close(a, true);
			return -EPROTO;
		}
#else
		set_err(err, "this build of DCMTK has no TLS (dcmtls without OpenSSL): DICOM over TLS is not available");
		dimse_close(a, true);
		return -ENOTSUP;
#endif
	}
	c = ASC_createAssociationParameters(&params, ASC_MAXIMUMPDUSIZE);
	if (c.bad()) {
		set_err(err, "cannot set up the association: " + cond_text(c));
		dimse_close(a, true);
		return -ENOMEM;
	}
	ASC_setAPTitles(params, p->calling_aet, p->called_aet, nullptr);
	std::string peer = std::string(p->host) + ":" + std::to_string(p->port);
	ASC_setPresentationAddresses(params, "localhost", peer.c_str());
	if (p->tls_ca_file)
		ASC_setTransportLayerType(params, OFTrue);

	T_ASC_PresentationContextID id = 1;
	for (size_t i = 0; i < n; i++, id += 2) {
		const char *ts[1] = { pcs[i].transfer_syntax };
		/* NULL: the uncompressed little-endian syntaxes, for objects sent decoded */
		c = pcs[i].transfer_syntax ? ASC_addPresentationContext(params, id, pcs[i].sop_class, ts, 1)
		                           : ASC_addPresentationContext(params, id, pcs[i].sop_class, uncompressed, 2);
		if (c.bad())
			break;
		a->ids.push_back(id);
	}
	if (c.good() && (what & DIMSE_FIND)) {
		c = ASC_addPresentationContext(params, id, UID_FINDStudyRootQueryRetrieveInformationModel, uncompressed, 3);
		id += 2;
	}
	if (c.good() && (what & DIMSE_COMMIT))
		c = ASC_addPresentationContext(params, id, UID_StorageCommitmentPushModelSOPClass, uncompressed, 3);
	if (c.bad()) {
		set_err(err, "cannot propose the presentation contexts: " + cond_text(c));
		ASC_destroyAssociationParameters(&params);
		dimse_close(a, true);
		return -EINVAL;
	}

	c = ASC_requestAssociation(a->net, params, &a->assoc);
	if (c.bad()) {
		int r;
		std::string why;
		if (c == DUL_ASSOCIATIONREJECTED) {
			T_ASC_RejectParameters rej;
			memset(&rej, 0, sizeof rej);
			ASC_getRejectParameters(params, &rej);
			bool transient = rej.result == ASC_RESULT_REJECTEDTRANSIENT;
			r = transient ? -EAGAIN : -EACCES;
			why = std::string("the destination rejected the association ") +
			      (transient ? "for now (transient): " : "(permanent): ") + reject_text(rej);
		} else {
			r = classify(c);
			why = "the destination cannot be reached: " + cond_text(c);
			if (r == -EPROTO && p->tls_ca_file)
				why += std::string("; check that the CA file ") + p->tls_ca_file +
				       " holds the CA that signed the destination's certificate, and that it speaks TLS";
		}
		if (!a->assoc)
			ASC_destroyAssociationParameters(&params);
		dimse_close(a, true);
		set_err(err, why);
		return r;
	}
	/* Debian's DCMTK leaves Nagle's algorithm on (DISABLE_NAGLE_ALGORITHM is not defined): the last, short PDU
	 * of each object would wait for the peer's delayed acknowledgement, 40 ms an object */
	tcp_option(a->assoc, TCP_NODELAY);
	for (size_t i = 0; i < a->ids.size(); i++) {
		const char *why = "the destination did not answer for this presentation context";
		std::string accepted;
		for (int k = 0, m = ASC_countPresentationContexts(params); k < m; k++) {
			T_ASC_PresentationContext pc;
			if (ASC_getPresentationContext(params, k, &pc).bad() || pc.presentationContextID != a->ids[i])
				continue;
			why = pc.resultReason == ASC_P_ACCEPTANCE ? nullptr : pc_reason(pc.resultReason);
			if (!why)
				accepted = pc.acceptedTransferSyntax;
			break;
		}
		a->refused.push_back(why);
		a->accepted.push_back(why ? std::string() : accepted);
	}
	*out = a;
	return 0;
}

} // namespace

extern "C" {

bool dimse_tls_available(void)
{
#ifdef WITH_OPENSSL
	return true;
#else
	return false;
#endif
}

int dimse_open(const struct dimse_peer *p, const struct dimse_pc *pcs, size_t n, unsigned what, struct dimse_assoc **out,
               char **err)
{
	*out = nullptr;
	return guarded(err, "DICOM networking failed unexpectedly", -EPROTO, [&]() -> int {
		return open_assoc(p, pcs, n, what, out, err);
	});
}

const char *dimse_pc_refused(const struct dimse_assoc *a, size_t i)
{
	if (!a || i >= a->refused.size())
		return "no such presentation context";
	return a->refused[i];
}

const char *dimse_pc_syntax(const struct dimse_assoc *a, size_t i)
{
	if (!a || i >= a->accepted.size() || a->refused[i])
		return nullptr;
	return a->accepted[i].c_str();
}

const char *dimse_status_text(unsigned s)
{
	if (s == 0)
		return "stored";
	if ((s & 0xF000) == 0xB000)
		return "stored with a warning (coercion of data elements, or elements discarded)";
	if ((s & 0xFF00) == 0xA700)
		return "refused: out of resources";
	if ((s & 0xFF00) == 0xA900)
		return "refused: data set does not match SOP class";
	if ((s & 0xF000) == 0xC000)
		return "refused: cannot understand";
	switch (s) {
	case 0x0110: return "refused: processing failure";
	case 0x0111: return "refused: duplicate SOP instance";
	case 0x0112: return "no such object instance";
	case 0x0119: return "class-instance conflict";
	case 0x0131: return "duplicate transaction UID";
	case 0x0213: return "resource limitation";
	case 0x0117: return "refused: invalid object instance";
	case 0x0122: return "refused: SOP class not supported";
	case 0x0124: return "refused: not authorized";
	case 0x0210: return "refused: duplicate invocation";
	case 0x0211: return "refused: unrecognized operation";
	case 0x0212: return "refused: mistyped argument";
	default: return "refused";
	}
}

namespace {
/* Once the object is sent, wait for the first bytes of the answer and acknowledge them at once. A peer that writes
 * its C-STORE response in pieces with Nagle's algorithm on (Orthanc 1.10 and DCMTK's own storescp do: Debian's
 * DCMTK leaves it on) holds the rest of it until the first piece is acknowledged, and our delayed acknowledgement
 * would cost 40 ms per object. TCP_QUICKACK with an acknowledgement pending sends it now. */
void ack_first_bytes(T_ASC_Association *assoc, int timeout_s)
{
	DcmTransportConnection *conn = DUL_getTransportConnection(assoc->DULassociation);
	DcmNativeSocketType fd = conn ? socket_of::get(conn) : -1;
	if (fd < 0)
		return;
	struct pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 };
	while (poll(&p, 1, timeout_s * 1000) < 0 && errno == EINTR)
		;
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}
} // namespace

namespace {
/* The bytes of the pixel data of DS once decoded, from its header (Rows, Columns, Samples per Pixel, Bits
 * Allocated, Number of Frames); 0 when they are missing or absurd. */
uint64_t decoded_bytes(DcmDataset *ds)
{
	Uint16 rows = 0, cols = 0, spp = 1, bits = 0;
	Sint32 frames = 1;
	if (ds->findAndGetUint16(DCM_Rows, rows).bad() || ds->findAndGetUint16(DCM_Columns, cols).bad() ||
	    ds->findAndGetUint16(DCM_BitsAllocated, bits).bad())
		return 0;
	(void)ds->findAndGetUint16(DCM_SamplesPerPixel, spp);
	if (ds->findAndGetSint32(DCM_NumberOfFrames, frames).bad() || frames < 1)
		frames = 1;
	if (rows == 0 || cols == 0 || spp == 0 || bits == 0)
		return 0;
	return (uint64_t)rows * cols * spp * ((bits + 7u) / 8u) * (uint64_t)frames;
}

/* The data set of DS decoded (or, when not compressed, only re-encoded) for WANT, an uncompressed syntax: 0,
 * or -EBADMSG with *err saying why (no decoder, too large, a broken code stream). */
int decode_for(DcmDataset *ds, const DcmXfer &have, const DcmXfer &want, uint64_t max_decoded, char **err)
{
	if (want.isEncapsulated()) {
		set_err(err, "is not sent decoded: the destination accepted a compressed syntax for it");
		return -EBADMSG;
	}
	if (!have.isEncapsulated())
		return 0;   /* big endian, deflated, implicit: DCMTK writes the same values in WANT */
	uint64_t need = decoded_bytes(ds);
	if (need == 0 || need > max_decoded) {
		char buf[200];
		if (need == 0)
			snprintf(buf, sizeof buf, "cannot be decoded here: its image size (rows, columns, bits) is missing");
		else
			snprintf(buf, sizeof buf, "cannot be decoded here: its pixels would take %llu MB, more than the %llu MB "
			         "allowed", (unsigned long long)(need >> 20), (unsigned long long)(max_decoded >> 20));
		set_err(err, buf);
		return -EBADMSG;
	}
	dcmtk_codecs_init();
	if (!DcmCodecList::canChangeCoding(have.getXfer(), want.getXfer())) {
		set_err(err, std::string("cannot be decoded here: DCMTK has no decoder for ") + have.getXferName());
		return -EBADMSG;
	}
	OFCondition c = ds->chooseRepresentation(want.getXfer(), nullptr);
	if (c.bad() || !ds->canWriteXfer(want.getXfer())) {
		set_err(err, std::string("cannot be decoded here from ") + have.getXferName() +
		             (c.bad() ? ": " + cond_text(c) : std::string(": DCMTK has no decoder for it")));
		return -EBADMSG;
	}
	/* PS3.3 C.7.6.1.1.5: once lossy compressed, always said so, decompressed or not (DCMTK's JPEG and JPEG-LS
	 * decoders set it too; this does not depend on a decoder doing so) */
	if (have.isLossy() && ds->putAndInsertString(DCM_LossyImageCompression, "01").bad()) {
		set_err(err, "cannot be marked as lossy compressed once decoded");
		return -EBADMSG;
	}
	return 0;
}
} // namespace

int dimse_store(struct dimse_assoc *a, size_t i, const char *path, const char *sop_instance_uid, bool decode,
                uint64_t max_decoded, unsigned *status, char **err)
{
	*status = 0xFFFF;
	return guarded(err, "C-STORE failed unexpectedly", -EPROTO, [&]() -> int {
		if (!a || a->broken || i >= a->ids.size() || a->refused[i]) {
			set_err(err, "no accepted presentation context for this object");
			return -EINVAL;
		}
		T_ASC_PresentationContext pc;
		if (ASC_findAcceptedPresentationContext(a->assoc->params, a->ids[i], &pc).bad()) {
			set_err(err, "no accepted presentation context for this object");
			return -EINVAL;
		}
		DcmFileFormat ff;
		/* large values (pixel data) stay in the file until they are sent */
		OFCondition c = ff.loadFile(path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect);
		if (c.bad()) {
			set_err(err, "cannot be read as DICOM: " + cond_text(c));
			return -EBADMSG;
		}
		DcmDataset *ds = ff.getDataset();
		DcmXfer have(ds->getOriginalXfer()), want(pc.acceptedTransferSyntax);
		if (decode) {
			int r = decode_for(ds, have, want, max_decoded, err);
			if (r < 0)
				return r;
		}
		/* sent as it is: only between the uncompressed encodings may DCMTK re-encode (no pixel data changes) */
		else if (have.getXfer() != want.getXfer() && (have.isEncapsulated() || want.isEncapsulated())) {
			set_err(err, std::string("is encoded in ") + have.getXferName() + ", not in " + want.getXferName() +
			             " as its header says; it is not recompressed");
			return -EBADMSG;
		}
		T_DIMSE_C_StoreRQ req;
		memset(&req, 0, sizeof req);
		req.MessageID = a->assoc->nextMsgID++;
		OFStandard::strlcpy(req.AffectedSOPClassUID, pc.abstractSyntax, sizeof req.AffectedSOPClassUID);
		OFStandard::strlcpy(req.AffectedSOPInstanceUID, sop_instance_uid, sizeof req.AffectedSOPInstanceUID);
		req.DataSetType = DIMSE_DATASET_PRESENT;
		req.Priority = DIMSE_PRIORITY_MEDIUM;
		/* DIMSE_storeUser() without its wait: the request and the data set, then the answer (ack_first_bytes) */
		T_DIMSE_Message msg, ans;
		memset(&msg, 0, sizeof msg);
		memset(&ans, 0, sizeof ans);
		msg.CommandField = DIMSE_C_STORE_RQ;
		msg.msg.CStoreRQ = req;
		c = DIMSE_sendMessageUsingMemoryData(a->assoc, a->ids[i], &msg, nullptr, ds, nullptr, nullptr);
		if (c.good()) {
			ack_first_bytes(a->assoc, (int)a->timeout_s);
			T_ASC_PresentationContextID pid = a->ids[i];
			DcmDataset *detail = nullptr;
			c = DIMSE_receiveCommand(a->assoc, DIMSE_NONBLOCKING, (int)a->timeout_s, &pid, &ans, &detail);
			delete detail;
		}
		if (c.bad()) {
			a->broken = true;
			set_err(err, "the association broke during C-STORE: " + cond_text(c));
			return classify(c);
		}
		if (ans.CommandField != DIMSE_C_STORE_RSP || ans.msg.CStoreRSP.MessageIDBeingRespondedTo != req.MessageID) {
			a->broken = true;
			set_err(err, "the destination answered C-STORE with another message: a protocol error");
			return -EPROTO;
		}
		*status = ans.msg.CStoreRSP.DimseStatus;
		return 0;
	});
}

namespace {
struct find_ctx {
	void (*cb)(void *, const char *);
	void *ud;
	size_t max, seen;
	bool more;
};

void find_cb(void *data, T_DIMSE_C_FindRQ *, int, T_DIMSE_C_FindRSP *, DcmDataset *ids)
{
	auto *f = static_cast<find_ctx *>(data);
	OFString sop;
	if (!ids || ids->findAndGetOFString(DCM_SOPInstanceUID, sop).bad())
		return;
	if (f->seen >= f->max) {
		f->more = true;
		return;
	}
	f->seen++;
	f->cb(f->ud, trimmed(sop.c_str()).c_str());
}
} // namespace

int dimse_find_instances(struct dimse_assoc *a, const char *study_uid, size_t max,
                         void (*cb)(void *ud, const char *sop_instance_uid), void *ud, bool *more, char **err)
{
	*more = false;
	return guarded(err, "C-FIND failed unexpectedly", -EPROTO, [&]() -> int {
		if (!a || a->broken) {
			set_err(err, "no association");
			return -EINVAL;
		}
		T_ASC_PresentationContextID id =
			ASC_findAcceptedPresentationContextID(a->assoc, UID_FINDStudyRootQueryRetrieveInformationModel);
		if (id == 0) {
			set_err(err, "the destination does not accept C-FIND (Study Root) from us: it cannot be asked what it "
			             "holds; ask its administrator to allow queries from our AE title");
			return -EPROTO;
		}
		DcmDataset q;
		q.putAndInsertString(DCM_QueryRetrieveLevel, "IMAGE");
		q.putAndInsertString(DCM_StudyInstanceUID, study_uid);
		q.putAndInsertString(DCM_SeriesInstanceUID, "");
		q.putAndInsertString(DCM_SOPInstanceUID, "");
		T_DIMSE_C_FindRQ req;
		T_DIMSE_C_FindRSP rsp;
		memset(&req, 0, sizeof req);
		memset(&rsp, 0, sizeof rsp);
		req.MessageID = a->assoc->nextMsgID++;
		OFStandard::strlcpy(req.AffectedSOPClassUID, UID_FINDStudyRootQueryRetrieveInformationModel,
		                    sizeof req.AffectedSOPClassUID);
		req.DataSetType = DIMSE_DATASET_PRESENT;
		req.Priority = DIMSE_PRIORITY_MEDIUM;
		find_ctx f{ cb, ud, max, 0, false };
		int count = 0;
		DcmDataset *detail = nullptr;
		OFCondition c = DIMSE_findUser(a->assoc, id, &req, &q, count, find_cb, &f, DIMSE_NONBLOCKING,
		                               (int)a->timeout_s, &rsp, &detail);
		delete detail;
		*more = f.more;
		if (c.bad()) {
			a->broken = true;
			set_err(err, "the association broke during C-FIND: " + cond_text(c));
			return classify(c);
		}
		if (rsp.DimseStatus != 0x0000) {
			char buf[160];
			snprintf(buf, sizeof buf, "the destination refused the query of what it holds (C-FIND): status "
			         "0x%04X", (unsigned)rsp.DimseStatus);
			set_err(err, buf);
			return -EPROTO;
		}
		return 0;
	});
}

void dimse_close(struct dimse_assoc *a, bool abort)
{
	if (!a)
		return;
	try {
		if (a->assoc) {
			if (abort || a->broken || ASC_releaseAssociation(a->assoc).bad())
				ASC_abortAssociation(a->assoc);
			ASC_destroyAssociation(&a->assoc);
		}
		if (a->net)
			ASC_dropNetwork(&a->net);
	} catch (...) {
	}
	delete a;
}

/* ------------------------------------------------------------------------ */
/* Storage commitment, Push Model (PS3.4 Annex J)                            */

int dimse_commit_request(struct dimse_assoc *a, const char *transaction_uid, const struct dimse_ref *refs, size_t n,
                         char **err)
{
	return guarded(err, "the storage commitment request failed unexpectedly", -EPROTO, [&]() -> int {
		if (!a || a->broken) {
			set_err(err, "no association");
			return -EINVAL;
		}
		T_ASC_PresentationContextID id =
			ASC_findAcceptedPresentationContextID(a->assoc, UID_StorageCommitmentPushModelSOPClass);
		if (id == 0) {
			set_err(err, "the destination does not offer storage commitment (Push Model) to us");
			return -ENOTSUP;
		}
		DcmDataset ds;
		OFCondition c = ds.putAndInsertString(DCM_TransactionUID, transaction_uid);
		auto *seq = new DcmSequenceOfItems(DCM_ReferencedSOPSequence);
		if (c.good())
			c = ds.insert(seq);
		else
			delete seq;
		for (size_t i = 0; i < n && c.good(); i++) {
			auto *item = new DcmItem();
			if ((c = seq->append(item)).bad()) {
				delete item;
				break;
			}
			c = item->putAndInsertString(DCM_ReferencedSOPClassUID, refs[i].sop_class);
			if (c.good())
				c = item->putAndInsertString(DCM_ReferencedSOPInstanceUID, refs[i].sop_instance);
		}
		if (c.bad()) {
			set_err(err, "cannot build the storage commitment request: " + cond_text(c));
			return -ENOMEM;
		}
		T_DIMSE_Message msg, rsp;
		memset(&msg, 0, sizeof msg);
		memset(&rsp, 0, sizeof rsp);
		msg.CommandField = DIMSE_N_ACTION_RQ;
		T_DIMSE_N_ActionRQ &rq = msg.msg.NActionRQ;
		rq.MessageID = a->assoc->nextMsgID++;
		OFStandard::strlcpy(rq.RequestedSOPClassUID, UID_StorageCommitmentPushModelSOPClass,
		                    sizeof rq.RequestedSOPClassUID);
		OFStandard::strlcpy(rq.RequestedSOPInstanceUID, UID_StorageCommitmentPushModelSOPInstance,
		                    sizeof rq.RequestedSOPInstanceUID);
		rq.ActionTypeID = 1;   /* request storage commitment */
		rq.DataSetType = DIMSE_DATASET_PRESENT;
		c = DIMSE_sendMessageUsingMemoryData(a->assoc, id, &msg, nullptr, &ds, nullptr, nullptr);
		T_ASC_PresentationContextID pid = id;
		DcmDataset *detail = nullptr;
		if (c.good())
			c = DIMSE_receiveCommand(a->assoc, DIMSE_NONBLOCKING, (int)a->timeout_s, &pid, &rsp, &detail);
		delete detail;
		if (c.good() && rsp.CommandField == DIMSE_N_ACTION_RSP &&
		    rsp.msg.NActionRSP.DataSetType != DIMSE_DATASET_NULL) {
			DcmDataset *extra = nullptr;   /* a reply that carries a data set: read, not used */
			c = DIMSE_receiveDataSetInMemory(a->assoc, DIMSE_NONBLOCKING, (int)a->timeout_s, &pid, &extra,
			                                 nullptr, nullptr);
			delete extra;
		}
		if (c == DUL_PEERABORTEDASSOCIATION) {
			/* an A-ABORT as the answer (Orthanc's, to an AE title it does not allow storage commitment): a
			 * refusal, not a passing trouble */
			a->broken = true;
			set_err(err, "the destination aborted the association when asked for storage commitment (N-ACTION): "
			             "it does not allow it to our AE title; ask its administrator, or do not ask for it "
			             "(no commit port)");
			return -EPROTO;
		}
		if (c.bad()) {
			a->broken = true;
			set_err(err, "the association broke during the storage commitment request (N-ACTION): " + cond_text(c));
			return classify(c);
		}
		if (rsp.CommandField != DIMSE_N_ACTION_RSP || rsp.msg.NActionRSP.MessageIDBeingRespondedTo != rq.MessageID) {
			a->broken = true;
			set_err(err, "the destination answered the storage commitment request with another message: a protocol "
			             "error");
			return -EPROTO;
		}
		if (rsp.msg.NActionRSP.DimseStatus != 0x0000) {
			char buf[160];
			snprintf(buf, sizeof buf, "the destination refused the storage commitment request (N-ACTION status "
			         "0x%04X)", (unsigned)rsp.msg.NActionRSP.DimseStatus);
			set_err(err, buf);
			return -EPROTO;
		}
		return 0;
	});
}

} // extern "C"

struct dimse_listener {
	T_ASC_Network *net = nullptr;
	std::string ours, peer;
};

namespace {

int seconds_left(uint64_t deadline_ms)
{
	uint64_t now = mono_ms();
	return now >= deadline_ms ? 0 : (int)((deadline_ms - now + 999) / 1000);
}

/* The bytes of a data set as they come from the network, at most MAX of them: DIMSE_receiveDataSetInFile()
 * writes them here unparsed, and they are parsed as every header is (dcm_dataset_read(): our structural walk,
 * then DCMTK on the bytes it verified), never by DCMTK straight from the peer. */
class capped_bytes : public DcmConsumer {
public:
	explicit capped_bytes(size_t max) : max_(max) {}
	OFBool good() const override { return !over_; }
	OFCondition status() const override { return over_ ? EC_StreamNotifyClient : EC_Normal; }
	OFBool isFlushed() const override { return OFTrue; }
	offile_off_t avail() const override { return over_ ? 0 : (offile_off_t)(max_ - bytes.size() + 1); }
	offile_off_t write(const void *p, offile_off_t n) override
	{
		if (over_ || n < 0 || (size_t)n > max_ - bytes.size()) {
			over_ = true;
			return 0;
		}
		bytes.append(static_cast<const char *>(p), (size_t)n);
		return n;
	}
	void flush() override {}
	bool over() const { return over_; }
	std::string bytes;
private:
	size_t max_;
	bool over_ = false;
};

class capped_stream : public DcmOutputStream {
public:
	explicit capped_stream(capped_bytes *c) : DcmOutputStream(c) {}
};

struct report_sink {
	const char *tuid;
	void (*cb)(void *, const char *, bool, unsigned);
	void *ud;
};

/* The UIDs of one N-EVENT-REPORT's data set: true when it is the report of our transaction. */
bool read_report(DcmDataset *ds, const report_sink &sink)
{
	OFString tuid;
	if (!ds || ds->findAndGetOFString(DCM_TransactionUID, tuid).bad() || trimmed(tuid.c_str()) != sink.tuid)
		return false;
	for (int pass = 0; pass < 2; pass++) {
		DcmSequenceOfItems *seq = nullptr;
		if (ds->findAndGetSequence(pass == 0 ? DCM_ReferencedSOPSequence : DCM_FailedSOPSequence, seq).bad() || !seq)
			continue;
		for (unsigned long k = 0; k < seq->card(); k++) {
			DcmItem *it = seq->getItem(k);
			OFString uid;
			Uint16 reason = 0;
			if (!it || it->findAndGetOFString(DCM_ReferencedSOPInstanceUID, uid).bad())
				continue;
			if (pass == 1)
				(void)it->findAndGetUint16(DCM_FailureReason, reason);
			sink.cb(sink.ud, trimmed(uid.c_str()).c_str(), pass == 0, reason);
		}
	}
	return true;
}

/* Accept ASSOC's Storage Commitment Push Model contexts (in the uncompressed syntaxes, in the role the peer
 * proposed: it performs N-EVENT-REPORT), refuse the others. False when none was accepted. */
bool accept_commit_contexts(T_ASC_Association *assoc)
{
	bool any = false;
	for (int i = 0, m = ASC_countPresentationContexts(assoc->params); i < m; i++) {
		T_ASC_PresentationContext pc;
		if (ASC_getPresentationContext(assoc->params, i, &pc).bad())
			continue;
		if (strcmp(pc.abstractSyntax, UID_StorageCommitmentPushModelSOPClass) != 0) {
			ASC_refusePresentationContext(assoc->params, pc.presentationContextID, ASC_P_ABSTRACTSYNTAXNOTSUPPORTED);
			continue;
		}
		const char *ts = nullptr;
		for (int pref = 0; pref < 3 && !ts; pref++)
			for (int k = 0; k < pc.transferSyntaxCount && !ts; k++)
				if (strcmp(pc.proposedTransferSyntaxes[k], uncompressed[pref]) == 0)
					ts = uncompressed[pref];
		if (!ts) {
			ASC_refusePresentationContext(assoc->params, pc.presentationContextID,
			                              ASC_P_TRANSFERSYNTAXESNOTSUPPORTED);
			continue;
		}
		T_ASC_SC_ROLE role = pc.proposedRole == ASC_SC_ROLE_SCP || pc.proposedRole == ASC_SC_ROLE_SCUSCP
		                     ? pc.proposedRole : ASC_SC_ROLE_DEFAULT;
		if (ASC_acceptPresentationContext(assoc->params, pc.presentationContextID, ts, role).good())
			any = true;
	}
	return any;
}

void reject(T_ASC_Association *assoc, T_ASC_RejectParametersReason why)
{
	T_ASC_RejectParameters rej = { ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER, why };
	(void)ASC_rejectAssociation(assoc, &rej);
}

/* Serve one association of the peer: its N-EVENT-REPORTs answered; true when ours came. */
bool serve_reports(T_ASC_Association *assoc, const report_sink &sink, uint64_t deadline_ms, size_t max_bytes)
{
	bool got = false;
	for (;;) {
		int left = seconds_left(deadline_ms);
		if (left <= 0)
			break;
		T_DIMSE_Message msg;
		T_ASC_PresentationContextID pid = 0;
		memset(&msg, 0, sizeof msg);
		OFCondition c = DIMSE_receiveCommand(assoc, DIMSE_NONBLOCKING, left, &pid, &msg, nullptr);
		if (c == DUL_PEERREQUESTEDRELEASE) {
			(void)ASC_acknowledgeRelease(assoc);
			return got;
		}
		if (c.bad() || msg.CommandField != DIMSE_N_EVENT_REPORT_RQ)
			break;   /* broken, or not what this listener is for: aborted below */
		const T_DIMSE_N_EventReportRQ &rq = msg.msg.NEventReportRQ;
		capped_bytes bytes(max_bytes);
		if (rq.DataSetType != DIMSE_DATASET_NULL) {
			capped_stream out(&bytes);
			c = DIMSE_receiveDataSetInFile(assoc, DIMSE_NONBLOCKING, left, &pid, &out, nullptr, nullptr);
			if (c.bad() || bytes.over())
				break;
		}
		bool ours = strcmp(rq.AffectedSOPClassUID, UID_StorageCommitmentPushModelSOPClass) == 0 &&
		            (rq.EventTypeID == 1 || rq.EventTypeID == 2) &&
		            dimse_report_parse(bytes.bytes.data(), bytes.bytes.size(), sink.tuid, sink.cb, sink.ud) == 1;
		got = got || ours;
		T_DIMSE_Message rsp;
		memset(&rsp, 0, sizeof rsp);
		rsp.CommandField = DIMSE_N_EVENT_REPORT_RSP;
		T_DIMSE_N_EventReportRSP &r = rsp.msg.NEventReportRSP;
		r.MessageIDBeingRespondedTo = rq.MessageID;
		OFStandard::strlcpy(r.AffectedSOPClassUID, rq.AffectedSOPClassUID, sizeof r.AffectedSOPClassUID);
		OFStandard::strlcpy(r.AffectedSOPInstanceUID, rq.AffectedSOPInstanceUID, sizeof r.AffectedSOPInstanceUID);
		r.EventTypeID = rq.EventTypeID;
		r.DataSetType = DIMSE_DATASET_NULL;
		/* another transaction's report (an earlier, killed delivery's) is taken too: it is no error of the peer's */
		r.DimseStatus = STATUS_Success;
		r.opts = O_NEVENTREPORT_AFFECTEDSOPCLASSUID | O_NEVENTREPORT_AFFECTEDSOPINSTANCEUID |
		         O_NEVENTREPORT_EVENTTYPEID;
		if (DIMSE_sendMessageUsingMemoryData(assoc, pid, &rsp, nullptr, nullptr, nullptr, nullptr).bad())
			break;
	}
	(void)ASC_abortAssociation(assoc);
	return got;
}

} // namespace

extern "C" {

int dimse_report_parse(const void *buf, size_t len, const char *transaction_uid,
                       void (*cb)(void *ud, const char *sop_instance_uid, bool committed, unsigned failure), void *ud)
{
	try {
		if (!buf || len == 0 || !transaction_uid)
			return 0;
		DcmDataset ds;
		enum dcm_status st = dcm_dataset_read(buf, len, len, ds);
		if (st != DCM_OK && st != DCM_WARN)
			return 0;
		report_sink sink = { transaction_uid, cb, ud };
		return read_report(&ds, sink) ? 1 : 0;
	} catch (...) {
		return -ENOMEM;
	}
}

int dimse_listen(unsigned port, const char *our_aet, const char *peer_aet, unsigned timeout_s,
                 struct dimse_listener **out, char **err)
{
	*out = nullptr;
	return guarded(err, "cannot listen for the storage commitment answer", -EIO, [&]() -> int {
		dcm_quiet();
		if (port == 0 || port > 65535 || !our_aet || !peer_aet) {
			set_err(err, "bad listening parameters");
			return -EINVAL;
		}
		auto *l = new dimse_listener();
		l->ours = our_aet;
		l->peer = peer_aet;
		OFCondition c = ASC_initializeNetwork(NET_ACCEPTOR, (int)port, (int)(timeout_s ? timeout_s : 60), &l->net);
		if (c.bad()) {
			std::string t = cond_text(c);
			delete l;
			set_err(err, "cannot listen on port " + std::to_string(port) + " for the destination's storage commitment "
			             "answer: " + t);
			return t.find("in use") != std::string::npos ? -EADDRINUSE
			       : t.find("ermission") != std::string::npos ? -EACCES : -EIO;
		}
		*out = l;
		return 0;
	});
}

void dimse_listen_close(struct dimse_listener *l)
{
	if (!l)
		return;
	try {
		if (l->net)
			ASC_dropNetwork(&l->net);
	} catch (...) {
	}
	delete l;
}

int dimse_commit_wait(struct dimse_listener *l, const char *transaction_uid, uint64_t deadline_ms, size_t max_bytes,
                      void (*cb)(void *ud, const char *sop_instance_uid, bool committed, unsigned failure), void *ud,
                      char **err)
{
	return guarded(err, "waiting for the storage commitment answer failed unexpectedly", -EPROTO, [&]() -> int {
		if (!l || !l->net) {
			set_err(err, "not listening");
			return -EINVAL;
		}
		report_sink sink = { transaction_uid, cb, ud };
		for (;;) {
			int left = seconds_left(deadline_ms);
			if (left <= 0)
				break;
			T_ASC_Association *assoc = nullptr;
			OFCondition c = ASC_receiveAssociation(l->net, &assoc, ASC_DEFAULTMAXPDU, nullptr, nullptr, OFFalse,
			                                       DUL_NOBLOCK, left);
			if (c.bad()) {
				if (assoc) {
					(void)ASC_dropAssociation(assoc);
					(void)ASC_destroyAssociation(&assoc);
				}
				continue;   /* no association in time (the loop ends), or a broken one */
			}
			bool got = false;
			if (trimmed(assoc->params->DULparams.callingAPTitle) != l->peer)
				reject(assoc, ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED);
			else if (trimmed(assoc->params->DULparams.calledAPTitle) != l->ours)
				reject(assoc, ASC_REASON_SU_CALLEDAETITLENOTRECOGNIZED);
			else if (!accept_commit_contexts(assoc))
				reject(assoc, ASC_REASON_SU_NOREASON);
			else if (ASC_acknowledgeAssociation(assoc).good())
				got = serve_reports(assoc, sink, deadline_ms, max_bytes);
			(void)ASC_dropSCPAssociation(assoc);
			(void)ASC_destroyAssociation(&assoc);
			if (got)
				return 0;
		}
		set_err(err, "no storage commitment answer came in time");
		return -ETIMEDOUT;
	});
}

} // extern "C"
