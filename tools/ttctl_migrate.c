/* ttctl_migrate.c: apply sql/NNN_name.sql files once each, in order. */
/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "ttctl.h"
#include "valid.h"

#define MIGRATE_LOCK	"7352820901"	/* advisory lock key, any constant */

struct migration {
	int64_t	 version;
	char	*name;
};

static int
cmp_migration(const void *a, const void *b)
{
	const struct migration	*x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

/* Lists NNN_name.sql files of dir sorted by NNN; refuses duplicates. */
static int
list_files(struct tt_arena *a, const char *dir, struct migration **out,
    size_t *n)
{
	DIR		*d;
	struct dirent	*e;
	struct migration *m = NULL;
	size_t		 cap = 0, len, i;
	const char	*us;

	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return ttctl_fail(TTCTL_REFUSED, "cannot open migrations "
		    "directory %s (set TT_SQL_DIR)", dir);
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		us = strchr(e->d_name, '_');
		if (len < 5 || strcmp(e->d_name + len - 4, ".sql") != 0 ||
		    us == NULL)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			m = realloc(m, cap * sizeof(*m));
			if (m == NULL)
				tt_oom(cap);
		}
		if (tt_valid_int64n(e->d_name, (size_t)(us - e->d_name), 1,
		    999999, &m[*n].version) != 0)
			continue;
		m[*n].name = tt_arena_strdup(a, e->d_name);
		(*n)++;
	}
	closedir(d);
	qsort(m, *n, sizeof(*m), cmp_migration);
	for (i = 1; i < *n; i++)
		if (m[i].version == m[i - 1].version) {
			long long	dup = (long long)m[i].version;

			free(m);
			return ttctl_fail(TTCTL_REFUSED, "two migrations "
			    "numbered %lld", dup);
		}
	*out = tt_arena_alloc(a, (*n ? *n : 1) * sizeof(**out));
	if (*n)
		memcpy(*out, m, *n * sizeof(*m));
	free(m);
	return 0;
}

static char *
read_file(struct tt_arena *a, const char *path)
{
	FILE	*f;
	long	 len;
	char	*p;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	p = tt_arena_alloc(a, (size_t)len + 1);
	if (fread(p, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	return p;
}

static int
step(struct tt_arena *a, const char *sql, int n, const char *const *p)
{
	struct tt_db_res	*r;

	return tt_db_exec(a, sql, n, p, &r) == TT_OK ? 0 : -1;
}

int
ttctl_migrate(struct ttctl *ctl, int argc, char **argv)
{
	struct tt_arena		*a = ctl->arena;
	struct tt_db_res	*r;
	struct migration	*m = NULL;
	size_t			 n, i;
	int			 applied = 0, status_only;
	char			 err[1024], vbuf[24], *sql, *path;
	const char		*p[2];
	int64_t			 current = 0;

	status_only = ttctl_flag(argc, argv, "--status");
	if (list_files(a, tt_config.sql_dir, &m, &n) != 0)
		return TTCTL_REFUSED;
	/* Another migrate may be running: wait for it (up to 10 minutes). */
	if (step(a, "SET lock_timeout = '10min'", 0, NULL))
		return ttctl_fail(TTCTL_REFUSED, "cannot reach the database");
	if (step(a, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")", 0, NULL))
		return ttctl_fail(TTCTL_REFUSED, strcmp(tt_db_last_sqlstate(),
		    "55P03") == 0 ? "another ttctl migrate held the migration "
		    "lock for 10 minutes; try again when it has finished" :
		    "cannot take the migration lock (%s)",
		    tt_db_last_sqlstate());
	if (step(a, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version integer PRIMARY KEY, name text NOT NULL, "
	    "applied_at timestamptz NOT NULL DEFAULT now())", 0, NULL))
		return ttctl_fail(TTCTL_REFUSED, "cannot create "
		    "schema_migrations (%s)", tt_db_last_sqlstate());

	for (i = 0; i < n; i++) {
		snprintf(vbuf, sizeof(vbuf), "%lld", (long long)m[i].version);
		p[0] = vbuf;
		if (tt_db_exec(a, "SELECT 1 FROM schema_migrations WHERE "
		    "version = $1", 1, p, &r) != TT_OK)
			return ttctl_fail(TTCTL_REFUSED, "cannot read "
			    "schema_migrations");
		if (tt_db_nrows(r) > 0) {
			current = m[i].version;
			continue;
		}
		if (status_only) {
			printf("pending %s\n", m[i].name);
			continue;
		}
		path = tt_arena_printf(a, "%s/%s", tt_config.sql_dir,
		    m[i].name);
		if ((sql = read_file(a, path)) == NULL)
			return ttctl_fail(TTCTL_REFUSED, "cannot read %s",
			    path);

		/* One transaction per file: all of it or none of it. */
		p[1] = m[i].name;
		if (step(a, "BEGIN", 0, NULL) != 0 ||
		    tt_db_exec_script(sql, err, sizeof(err)) != TT_OK) {
			tt_db_rollback(a);
			return ttctl_fail(TTCTL_REFUSED, "migration %s "
			    "failed: %s", m[i].name, err);
		}
		if (step(a, "INSERT INTO schema_migrations (version, name) "
		    "VALUES ($1, $2)", 2, p) != 0 ||
		    tt_db_commit(a) != TT_OK) {
			tt_db_rollback(a);
			return ttctl_fail(TTCTL_REFUSED, "migration %s could "
			    "not be recorded", m[i].name);
		}
		current = m[i].version;
		applied++;
		if (!ctl->json)
			printf("applied %s\n", m[i].name);
	}
	(void)step(a, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")", 0, NULL);
	if (ctl->json)
		printf("{\"applied\":%d,\"schema_version\":%lld}\n", applied,
		    (long long)current);
	else
		printf("schema version %lld (%d applied)\n",
		    (long long)current, applied);
	return TTCTL_OK;
}
