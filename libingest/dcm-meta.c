/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The PS3.10 file meta information for a DICOM data set received without
 * it (no preamble, no "DICM"): SPEC §6 stores such an object in the package
 * as preamble + "DICM" + this group + the data set bytes unchanged, since a
 * file-set can only reference PS3.10 files. Encoded here by hand (explicit
 * VR little endian, as PS3.10 7.1 fixes it): a few hundred bytes, the same
 * for the same object on every run. No DCMTK.
 */
#include "build-config.h"
#include "dcm-private.h"

/* ingestd's Implementation Class UID: a 2.25 UID (PS3.5 B.2) made once
 * from SHA-256("ingestd implementation class"), first 128 bits. */
#define IMPL_CLASS_UID "2.25.53249438907486368013974938673604305734"
#define IMPL_VERSION "INGESTD_" INGEST_VERSION

/* A UID as PS3.5 9.1 has it: 1 to 64 characters of digits and dots. */
static bool uid_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || *s == '.'))
			return false;
	return true;
}

/* One element with a 2-byte length (UL, UI, SH), value padded to even
 * length with pad. */
static size_t put_short(uint8_t *p, uint16_t elem, const char vr[2], const void *v, size_t n, char pad)
{
	size_t len = n + (n & 1);
	p[0] = 0x02;
	p[1] = 0x00;
	p[2] = (uint8_t)elem;
	p[3] = (uint8_t)(elem >> 8);
	p[4] = (uint8_t)vr[0];
	p[5] = (uint8_t)vr[1];
	p[6] = (uint8_t)len;
	p[7] = (uint8_t)(len >> 8);
	memcpy(p + 8, v, n);
	if (n & 1)
		p[8 + n] = (uint8_t)pad;
	return 8 + len;
}

void dcm_uid_from_bytes(const uint8_t bytes[16], char out[64])
{
	/* the 16 bytes as a decimal number: repeated division by 10 */
	uint8_t v[16];
	char dig[48];
	size_t nd = 0;
	memcpy(v, bytes, 16);
	v[0] &= 0x7f;                /* < 2^127: 39 digits at most, "2.25." + them fits 64 */
	bool zero;
	do {
		unsigned rem = 0;
		zero = true;
		for (size_t k = 0; k < 16; k++) {
			unsigned cur = rem * 256 + v[k];
			v[k] = (uint8_t)(cur / 10);
			rem = cur % 10;
			if (v[k])
				zero = false;
		}
		dig[nd++] = (char)('0' + rem);
	} while (!zero);
	size_t o = (size_t)snprintf(out, 64, "2.25.");
	while (nd > 0)
		out[o++] = dig[--nd];
	out[o] = 0;
}

int dcm_file_meta(const struct dcm_info *d, uint8_t *buf, size_t cap, size_t *len)
{
	if (!d || !buf || !len || cap < DCM_FILE_META_MAX)
		return -EINVAL;
	if (!uid_ok(d->sop_class_uid) || !uid_ok(d->sop_instance_uid) || !uid_ok(d->transfer_syntax))
		return -EINVAL;
	uint8_t *p = buf;
	memset(p, 0, 128);                      /* the preamble: not used */
	memcpy(p + 128, "DICM", 4);
	p += 132;
	uint8_t *group_len = p;                 /* (0002,0000) UL: filled in below */
	p += 12;
	uint8_t *start = p;
	static const uint8_t version[] = { 0x02, 0x00, 0x01, 0x00, 'O', 'B', 0, 0, 2, 0, 0, 0, 0x00, 0x01 };
	memcpy(p, version, sizeof version);     /* (0002,0001) File Meta Information Version 00\01 */
	p += sizeof version;
	p += put_short(p, 0x0002, "UI", d->sop_class_uid, strlen(d->sop_class_uid), 0);
	p += put_short(p, 0x0003, "UI", d->sop_instance_uid, strlen(d->sop_instance_uid), 0);
	p += put_short(p, 0x0010, "UI", d->transfer_syntax, strlen(d->transfer_syntax), 0);
	p += put_short(p, 0x0012, "UI", IMPL_CLASS_UID, strlen(IMPL_CLASS_UID), 0);
	p += put_short(p, 0x0013, "SH", IMPL_VERSION, MIN(strlen(IMPL_VERSION), (size_t)16), ' ');
	uint32_t gl = (uint32_t)(p - start);
	uint8_t v[4] = { (uint8_t)gl, (uint8_t)(gl >> 8), (uint8_t)(gl >> 16), (uint8_t)(gl >> 24) };
	put_short(group_len, 0x0000, "UL", v, 4, 0);
	*len = (size_t)(p - buf);
	return 0;
}
