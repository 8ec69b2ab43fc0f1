/* tagquery.h: Terrateam's tag query language, compiled to SQL. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_TAGQUERY_H
#define TT_TAGQUERY_H

#include <stddef.h>

#include "tt.h"

struct tt_arena;

/* What the query may filter: work manifests or dirspace rows. */
enum tt_tagquery_target {
	TT_TAGQUERY_MANIFESTS,
	TT_TAGQUERY_DIRSPACES,
	TT_TAGQUERY_STACKS,	/* tt_tagquery_match only */
};

/*
 * The compiled query: a boolean SQL expression over the aliases wm
 * (work_manifests), r (repositories) and, for dirspaces, d
 * (work_manifest_dirspaces), whose only variable parts are $n
 * placeholders numbered from first_param; params holds their text.
 * No text of the query ever becomes SQL text. All arena-owned.
 */
struct tt_tagquery {
	const char	*where;		/* "true" for an empty query */
	const char	**params;
	int		 nparams;
	int		 sort_asc;	/* sort:asc given */
};

/* A refusal: the API error id, a message, and the byte offset. */
struct tt_tagquery_error {
	const char	*id;	/* PARSE_ERROR, UNKNOWN_TAG, BAD_DATE_FORMAT */
	char		 msg[256];
	size_t		 pos;
};

#define TT_TAGQUERY_MAX_LEN	4096
#define TT_TAGQUERY_MAX_TERMS	64
#define TT_TAGQUERY_MAX_DEPTH	32

/*
 * Compiles q (NULL or empty: no filter). Dates in created_at are read in
 * time zone tz (an IANA name; checked by PostgreSQL when the query runs).
 * TT_EINVAL with *err filled on a syntax error, an unknown key, a bad
 * value or a bad date.
 */
enum tt_err	 tt_tagquery_compile(struct tt_arena *, const char *q,
		    const char *tz, enum tt_tagquery_target, int first_param,
		    struct tt_tagquery *, struct tt_tagquery_error *err);

/* A dirspace as a stack's tag_query sees it. */
struct tt_tagquery_subject {
	const char		*dir;
	const char		*workspace;
	const char *const	*tags;
	size_t			 ntags;
};

/*
 * Judges q, a stack's tag_query, against s: the same lexer and grammar
 * (and, or, not, parentheses, juxtaposition, quoted values) with the keys
 * dir: and workspace: (exact), tag: and a bare word meaning tag:word.
 * An empty query matches everything. s NULL checks the syntax only.
 * TT_EINVAL with *err filled when q is not a valid stack query.
 */
enum tt_err	 tt_tagquery_match(struct tt_arena *, const char *q,
		    const struct tt_tagquery_subject *s, int *match,
		    struct tt_tagquery_error *err);

#endif
