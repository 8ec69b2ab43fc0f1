/* openapi-json.c: docs/openapi.yaml to the JSON the health program serves. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "json.h"
#include "yaml.h"

int main(int, char **);

/*
 * Reads the whole file, one byte past the YAML limit so that an
 * oversized file is refused by tt_yaml_parse with its own message.
 * Arena-owned; NULL (and a message on stderr) on failure.
 */
static char *
read_file(struct tt_arena *a, const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	size_t	 n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "openapi-json: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	buf = tt_arena_alloc(a, TT_YAML_MAX_BYTES + 2);
	n = fread(buf, 1, TT_YAML_MAX_BYTES + 1, f);
	if (ferror(f)) {
		fprintf(stderr, "openapi-json: %s: read error\n", path);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Writes text to path through a temporary file, so a reader never sees half. */
static int
write_file(struct tt_arena *a, const char *path, const char *text)
{
	const char	*tmp = tt_arena_printf(a, "%s.tmp", path);
	FILE		*f;
	size_t		 n = strlen(text);

	if ((f = fopen(tmp, "wb")) == NULL) {
		fprintf(stderr, "openapi-json: %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	if (fwrite(text, 1, n, f) != n || fputc('\n', f) == EOF ||
	    fclose(f) != 0) {
		fprintf(stderr, "openapi-json: %s: write error\n", tmp);
		remove(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		fprintf(stderr, "openapi-json: %s: %s\n", path, strerror(errno));
		remove(tmp);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct tt_arena	*a;
	const char	*version;
	char		*text, err[256];
	size_t		 len;
	cJSON		*doc;
	int		 rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: openapi-json IN.yaml OUT.json\n");
		return 2;
	}
	a = tt_arena_new();
	if ((text = read_file(a, argv[1], &len)) == NULL)
		goto out;
	if (tt_yaml_parse(a, text, len, &doc, err, sizeof(err)) != TT_OK) {
		fprintf(stderr, "openapi-json: %s: %s\n", argv[1], err);
		goto out;
	}
	/* The serialised form only; validation proper is the test suite's. */
	version = tt_json_string(doc, "openapi");
	if (version == NULL || strncmp(version, "3.1.", 4) != 0 ||
	    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "paths"))) {
		fprintf(stderr, "openapi-json: %s: not an OpenAPI 3.1 document "
		    "(\"openapi\": \"3.1.x\" and \"paths\" expected)\n", argv[1]);
		goto out;
	}
	if (write_file(a, argv[2], tt_json_print(a, doc)) == 0)
		rc = 0;
out:
	tt_arena_free(a);
	return rc;
}
