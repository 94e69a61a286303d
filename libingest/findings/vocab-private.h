/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The vocabulary's insides, shared by its loader (vocab.c), its folding
 * (vocab-fold.c) and its matcher (vocab-match.c): the phrase trie and the
 * character classes of folded text. Callers have vocab.h.
 */
#ifndef INGEST_FINDINGS_VOCAB_PRIVATE_H
#define INGEST_FINDINGS_VOCAB_PRIVATE_H

#include "findings/vocab.h"

/* The trie's edge for a separator run of a phrase (vocab.h): it matches any
 * run of separators in the text, or none. Never a byte of folded text. */
#define VSEP 0x01

/* One (class, entry, language) a phrase stands for. */
struct vpay {
	uint8_t cls;
	uint8_t lang;
	uint16_t id;
	uint32_t next;          /* next payload of the same node, 0: none (index 0 is unused) */
	uint32_t where;         /* index into vocab->wheres: the file:line:col it came from */
};

/* A trie node: the key byte that leads to it, its children as a list. 16
 * bytes: the classes below it are an index into vocab->masks (a few hundred
 * different sets for ~10^5 nodes), not a 16-byte mask of its own. */
struct vnode {
	uint32_t child;         /* first child, 0: none (node 0 is the root) */
	uint32_t sibling;       /* next sibling, 0: none */
	uint32_t pay;           /* first payload, 0: none */
	uint16_t sub;           /* vocab->masks[sub]: VW_BIT()s of every payload in this subtree */
	uint8_t byte;           /* the edge byte into this node (VSEP for a separator run) */
	bool end_word;          /* the key's last character is a word character outside Han/Kana/Thai */
};
#define VOCAB_MAX_MASKS 65535   /* different class sets below nodes (struct vnode.sub) */

struct vwhere {
	const char *file;       /* owned by vocab->files */
	int line, col;
};

struct vmarker_priv {
	struct vocab_marker pub;
	char *name;
	char **clones;
	char **clone_keys;      /* the clones' trie keys (vtrie_key()), in the same order; NULL: none */
};

struct vlab_priv {
	struct vocab_lab pub;
	char *name;
	char **units;
};

struct vocab {
	struct vnode *nodes;
	size_t n_nodes, cap_nodes;
	struct vpay *pays;
	size_t n_pays, cap_pays;
	uint32_t root_index[256];   /* root's child for a first byte, 0: none */
	vocab_mask *masks;          /* the class sets of struct vnode.sub, each once; masks[0] is none */
	size_t n_masks, cap_masks;
	uint16_t *mask_index;       /* open addressing over masks (index + 1, 0: free), 2 * cap_masks slots */
	uint16_t mask_one[_VW_MAX];   /* the index of the set of one class, 0: not yet made */

	struct vmarker_priv *markers;
	size_t n_markers;
	struct vlab_priv *labs;
	size_t n_labs;
	struct vocab_lang *langs;
	size_t n_langs;
	char **types;               /* cancer-type ids */
	size_t n_types;
	char **concepts;
	size_t n_concepts;

	struct vwhere *wheres;
	size_t n_wheres, cap_wheres;
	char **files;
	size_t n_files;
	char **strings;             /* names of langs, codes: freed with the vocabulary */
	size_t n_strings;
	bool from_cache;            /* read from the compiled cache (vocab-cache.c), not the YAML */
	void *blob;                 /* that cache's bytes (vocab_cache_alloc()): nodes, pays and masks point into it */
	size_t blob_len;
};

/* vocab.c: is S (N bytes) a language file's code, its ISO 639-1 code (two lower-case letters)? */
ING_HIDDEN bool vocab_is_lang_code(const char *s, size_t n);

/* Character classes of a folded code point. */
ING_HIDDEN bool vfold_is_word_cp(uint32_t cp);
/* Do A and B, two word characters side by side, belong to different words
 * because one is ASCII and the other Arabic, Hebrew or Devanagari ("TTF-1إيجابي":
 * a PDF's right-to-left run that lost its direction marks)? */
ING_HIDDEN bool vfold_script_break(uint32_t a, uint32_t b);
ING_HIDDEN bool vfold_is_anychar_cp(uint32_t cp);  /* Han, Kana, Thai: every character starts a word */
static inline bool vfold_is_sep(unsigned char c)
{
	return c == ' ' || c == '-' || c == '/' || c == ':' || c == '_' || c == '.';
}
/* The code point at folded byte I (valid UTF-8 by construction) and its length. */
ING_HIDDEN size_t vfold_cp_at(const char *s, size_t n, size_t i, uint32_t *cp);
/* The code point that ends just before byte I, 0 at the start. */
ING_HIDDEN uint32_t vfold_cp_before(const char *s, size_t i);

/* vocab-match.c: the trie. Adds PHRASE (raw, as written) for (CLS, ID, LANG);
 * 0, or -EEXIST with *OTHER the payload already holding the same folded
 * phrase in CLS with another id (same language or either language-neutral),
 * -EINVAL for a phrase with nothing but separators, or -E2BIG past
 * VOCAB_MAX_MASKS class sets. */
/* PHRASE's trie key (folded, separator runs one VSEP) into *OUT (malloc'd);
 * its length, 0 (*OUT NULL) for a phrase of separators only. */
ING_HIDDEN size_t vtrie_key(const char *phrase, char **out);
ING_HIDDEN int vtrie_add(struct vocab *v, const char *phrase, enum vocab_class cls, uint16_t id, uint8_t lang,
                         uint32_t where, const struct vpay **other);
/* Every payload of a phrase matching at folded offset I, as vocab_match_at() but unbounded. */
#endif
