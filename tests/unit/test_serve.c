/*
 * test_serve.c: unit tests for serve.c's request pipeline, without a web
 * server: each test runs tests/progs/pipeline (built beside this binary,
 * ../progs/pipeline) as plain CGI, with the request in its environment
 * and its body on stdin, and reads the answer it writes: 404 and 405,
 * 411/413/415 and the JSON 400s, the standard headers, X-Request-Id,
 * HEAD, X-Forwarded-For behind TT_TRUSTED_PROXIES, and the session's
 * verdict answered instead of anything a handler wrote.
 *
 * The second group (the session step) needs TT_DATABASE_URL, a migrated
 * database: tests/run.sh unit starts one. By hand:
 * TT_DATABASE_URL=... build/tests/unit/test_serve (tests/unit/testdb.h
 * starts one). Without it that group fails; the first runs.
 */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "json.h"
#include "tt.h"
#include "testdb.h"

#define RW	"[\"kv_store_read\",\"kv_store_write\"]"

static struct tt_arena	*A;
static char		 prog[4096];	/* the pipeline program */

/* What the program wrote: the status, its header lines, body, stderr. */
struct answer {
	int		 status;
	const char	*head;		/* "\r\nName: value" ... "\r\n" */
	const char	*body;
	size_t		 body_len;
	const char	*err;
};

/* The whole of a temporary file, NUL-terminated, arena-owned. */
static char *
slurp(FILE *f, size_t *len)
{
	char	*p;
	long	 n;

	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	p = tt_arena_alloc(A, (size_t)n + 1);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	*len = (size_t)n;
	return p;
}

/*
 * Runs the program for METHOD URI with body on stdin (NULL: none), the
 * CGI variables and env ("NAME=value" ..., NULL-terminated) as its whole
 * environment, and reads its answer. Sanitizer options and
 * TT_DATABASE_URL pass through from this process.
 */
static void
run(struct answer *a, const char *method, const char *uri, const char *body,
    const char *const *env)
{
	static const char *const pass[] = {
		"TT_DATABASE_URL", "ASAN_OPTIONS", "UBSAN_OPTIONS",
		"LSAN_OPTIONS",
	};
	const char	*envp[32], *v;
	char		*out, *end, *argv[2];
	FILE		*in, *o, *e;
	size_t		 n = 0, i, len;
	pid_t		 pid;
	int		 st;

	envp[n++] = tt_arena_printf(A, "REQUEST_METHOD=%s", method);
	envp[n++] = tt_arena_printf(A, "REQUEST_URI=%s", uri);
	envp[n++] = "GATEWAY_INTERFACE=CGI/1.1";
	for (i = 0; i < TT_NITEMS(pass); i++)
		if ((v = getenv(pass[i])) != NULL)
			envp[n++] = tt_arena_printf(A, "%s=%s", pass[i], v);
	for (i = 0; env != NULL && env[i] != NULL; i++) {
		assert_true(n < TT_NITEMS(envp) - 1);
		envp[n++] = env[i];
	}
	envp[n] = NULL;

	assert_non_null(in = tmpfile());
	assert_non_null(o = tmpfile());
	assert_non_null(e = tmpfile());
	if (body != NULL)
		assert_int_equal(fwrite(body, 1, strlen(body), in),
		    strlen(body));
	fflush(in);
	rewind(in);
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == 0) {
		if (dup2(fileno(in), 0) < 0 || dup2(fileno(o), 1) < 0 ||
		    dup2(fileno(e), 2) < 0)
			_exit(126);
		alarm(20);
		argv[0] = prog;
		argv[1] = NULL;
		execve(prog, argv, (char *const *)envp);
		_exit(127);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);

	a->err = slurp(e, &len);
	out = slurp(o, &len);
	fclose(in);
	fclose(o);
	fclose(e);
	if (strstr(a->err, "Sanitizer") != NULL ||
	    strstr(a->err, "runtime error:") != NULL)
		fail_msg("the program's sanitizers reported:\n%s", a->err);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("%s %s: the program ended with status %d: %s", method,
		    uri, st, a->err);

	/* "Status: NNN Reason\r\n" headers "\r\n" body */
	if (sscanf(out, "Status: %d ", &a->status) != 1)
		fail_msg("no Status line: \"%.200s\"", out);
	end = strstr(out, "\r\n\r\n");
	assert_non_null(end);
	a->head = tt_arena_strndup(A, strstr(out, "\r\n"),
	    (size_t)(end - strstr(out, "\r\n")) + 2);
	a->body = end + 4;
	a->body_len = len - (size_t)(a->body - out);
}

/* A request with a body: Content-Length its length, of type ctype. */
static void
send_body(struct answer *a, const char *method, const char *uri,
    const char *ctype, const char *body)
{
	const char	*env[3];

	env[0] = tt_arena_printf(A, "CONTENT_LENGTH=%zu", strlen(body));
	env[1] = tt_arena_printf(A, "CONTENT_TYPE=%s", ctype);
	env[2] = NULL;
	run(a, method, uri, body, env);
}

/* The value of the answer's header name (the first), or NULL. */
static const char *
header(const struct answer *a, const char *name)
{
	const char	*p, *eol;
	size_t		 n = strlen(name);

	for (p = a->head; (p = strstr(p, "\r\n")) != NULL; p += 2)
		if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
			p += 2 + n + 1;
			while (*p == ' ')
				p++;
			eol = strstr(p, "\r\n");
			return tt_arena_strndup(A, p, (size_t)(eol - p));
		}
	return NULL;
}

/* How many times the answer has header name. */
static int
headers_named(const struct answer *a, const char *name)
{
	const char	*p;
	size_t		 n = strlen(name);
	int		 k = 0;

	for (p = a->head; (p = strstr(p, "\r\n")) != NULL; p += 2)
		if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':')
			k++;
	return k;
}

/* A member of the JSON body, as text (strings bare), or NULL. */
static const char *
member(const struct answer *a, const char *name)
{
	const char	*why;
	cJSON		*j, *m;

	j = tt_json_parse(A, a->body, a->body_len, &why);
	if (j == NULL)
		fail_msg("the body is not JSON (%s): \"%.200s\"", why, a->body);
	if ((m = cJSON_GetObjectItemCaseSensitive(j, name)) == NULL)
		return NULL;
	if (cJSON_IsString(m))
		return m->valuestring;
	return tt_json_print(A, m);
}

/* The answer is a JSON error with this status and id. */
static void
assert_error(const struct answer *a, int status, const char *id)
{
	assert_int_equal(a->status, status);
	assert_string_equal(header(a, "Content-Type"), "application/json");
	assert_string_equal(member(a, "id"), id);
	assert_non_null(member(a, "data"));
}

static int
arena(void **state)
{
	(void)state;
	A = tt_arena_new();
	return 0;
}

static int
arena_end(void **state)
{
	(void)state;
	tt_arena_free(A);
	return 0;
}

/* --- Routing. --- */

static void
test_unknown_path_is_404(void **state)
{
	struct answer	a;

	(void)state;
	run(&a, "GET", "/nowhere", NULL, NULL);
	assert_error(&a, 404, "NOT_FOUND");
}

static void
test_wrong_method_is_405_with_allow(void **state)
{
	struct answer	a;

	(void)state;
	run(&a, "GET", "/json", NULL, NULL);
	assert_error(&a, 405, "METHOD_NOT_ALLOWED");
	assert_string_equal(header(&a, "Allow"), "POST, PUT");
}

static void
test_unknown_method_is_405(void **state)
{
	struct answer	a;

	(void)state;
	run(&a, "BREW", "/plain", NULL, NULL);
	assert_error(&a, 405, "METHOD_NOT_ALLOWED");
	/* RFC 9110: a 405 says what the path allows. */
	assert_string_not_equal(header(&a, "Allow"), "");
}

static void
test_query_is_not_part_of_the_path(void **state)
{
	struct answer	a;

	(void)state;
	run(&a, "GET", "/plain?x=/nowhere", NULL, NULL);
	assert_int_equal(a.status, 200);
	assert_string_equal(member(&a, "path"), "/plain");
}

/* --- The body. --- */

static void
test_json_body_reaches_the_handler(void **state)
{
	struct answer	a;

	(void)state;
	send_body(&a, "POST", "/json", "application/json", "{\"a\":[1,2]}");
	assert_int_equal(a.status, 200);
	assert_string_equal(member(&a, "body"), "{\"a\":[1,2]}");
}

static void
test_json_type_may_have_parameters(void **state)
{
	struct answer	a;

	(void)state;
	send_body(&a, "PUT", "/json", "Application/JSON ; charset=utf-8",
	    "{}");
	assert_int_equal(a.status, 200);
}

static void
test_body_without_content_length_is_411(void **state)
{
	struct answer		a;
	const char *const	env[] = { "CONTENT_TYPE=application/json",
				    NULL };

	(void)state;
	run(&a, "POST", "/json", "{}", env);
	assert_error(&a, 411, "LENGTH_REQUIRED");
}

static void
test_body_over_the_routes_limit_is_413(void **state)
{
	struct answer	a;
	char		body[80];

	(void)state;
	/* 65 bytes on a route of 64, then 64. */
	snprintf(body, sizeof(body), "{\"a\":\"%057d\"}", 0);
	assert_int_equal(strlen(body), 65);
	send_body(&a, "POST", "/json", "application/json", body);
	assert_error(&a, 413, "PAYLOAD_TOO_LARGE");
	snprintf(body, sizeof(body), "{\"a\":\"%056d\"}", 0);
	send_body(&a, "POST", "/json", "application/json", body);
	assert_int_equal(a.status, 200);
}

static void
test_body_of_another_type_is_415(void **state)
{
	struct answer	a;

	(void)state;
	send_body(&a, "POST", "/json", "text/plain", "{}");
	assert_error(&a, 415, "UNSUPPORTED_MEDIA_TYPE");
	send_body(&a, "POST", "/json", "application/jsonx", "{}");
	assert_error(&a, 415, "UNSUPPORTED_MEDIA_TYPE");
}

static void
test_malformed_json_is_400(void **state)
{
	struct answer	a;

	(void)state;
	send_body(&a, "POST", "/json", "application/json", "{\"a\":");
	assert_error(&a, 400, "INVALID_JSON");
	send_body(&a, "POST", "/json", "application/json", "{} x");
	assert_error(&a, 400, "INVALID_JSON");
	send_body(&a, "POST", "/json", "application/json",
	    "{\"a\":1,\"a\":2}");
	assert_error(&a, 400, "INVALID_JSON");
}

static void
test_json_with_a_byte_order_mark_is_400(void **state)
{
	struct answer	a;

	(void)state;
	send_body(&a, "POST", "/json", "application/json", "\xef\xbb\xbf{}");
	assert_error(&a, 400, "INVALID_JSON");
	assert_non_null(strstr(member(&a, "data"), "byte order mark"));
}

static void
test_json_not_utf8_is_400(void **state)
{
	struct answer	a;

	(void)state;
	send_body(&a, "POST", "/json", "application/json", "{\"a\":\"\xff\"}");
	assert_error(&a, 400, "INVALID_JSON");
}

static void
test_empty_json_body_is_400(void **state)
{
	struct answer		a;
	const char *const	env[] = { "CONTENT_TYPE=application/json",
				    "CONTENT_LENGTH=0", NULL };

	(void)state;
	run(&a, "POST", "/json", "", env);
	assert_error(&a, 400, "INVALID_JSON");
}

static void
test_body_shorter_than_its_length_is_400(void **state)
{
	struct answer		a;
	const char *const	env[] = { "CONTENT_TYPE=application/json",
				    "CONTENT_LENGTH=20", NULL };

	(void)state;
	run(&a, "POST", "/json", "{}", env);
	assert_error(&a, 400, "INVALID_PARAM");
}

static void
test_bad_content_length_is_400(void **state)
{
	struct answer		a;
	const char *const	env[] = { "CONTENT_TYPE=application/json",
				    "CONTENT_LENGTH=-2", NULL };

	(void)state;
	run(&a, "POST", "/json", "{}", env);
	assert_error(&a, 400, "INVALID_PARAM");
}

/* --- The answer's headers. --- */

static void
test_standard_headers(void **state)
{
	struct answer	a;

	(void)state;
	run(&a, "GET", "/plain", NULL, NULL);
	assert_int_equal(a.status, 200);
	assert_string_equal(header(&a, "Content-Type"), "application/json");
	assert_string_equal(header(&a, "Cache-Control"), "no-store");
	assert_string_equal(header(&a, "X-Content-Type-Options"), "nosniff");
	assert_string_equal(header(&a, "Content-Length"),
	    tt_arena_printf(A, "%zu", a.body_len));
	assert_non_null(header(&a, "X-Request-Id"));
}

static void
test_errors_have_the_standard_headers(void **state)
{
	struct answer	a;

	(void)state;
	run(&a, "GET", "/nowhere", NULL, NULL);
	assert_string_equal(header(&a, "Cache-Control"), "no-store");
	assert_string_equal(header(&a, "X-Content-Type-Options"), "nosniff");
	assert_string_equal(header(&a, "Content-Length"),
	    tt_arena_printf(A, "%zu", a.body_len));
}

static void
test_a_handlers_headers_replace_the_defaults(void **state)
{
	struct answer	a;

	(void)state;
	run(&a, "GET", "/own-headers", NULL, NULL);
	assert_int_equal(a.status, 200);
	assert_int_equal(headers_named(&a, "Content-Type"), 1);
	assert_string_equal(header(&a, "Content-Type"),
	    "text/plain; charset=utf-8");
	assert_int_equal(headers_named(&a, "Cache-Control"), 1);
	assert_string_equal(header(&a, "Cache-Control"), "max-age=60");
	assert_string_equal(a.body, "plain text");
}

static void
test_204_has_no_body_and_no_content_type(void **state)
{
	struct answer	a;

	(void)state;
	run(&a, "DELETE", "/empty", NULL, NULL);
	assert_int_equal(a.status, 204);
	assert_int_equal(a.body_len, 0);
	assert_null(header(&a, "Content-Type"));
	assert_string_equal(header(&a, "Content-Length"), "0");
}

static void
test_head_answers_the_headers_without_the_body(void **state)
{
	struct answer	get, head;

	(void)state;
	run(&get, "GET", "/plain", NULL, NULL);
	run(&head, "HEAD", "/plain", NULL, NULL);
	assert_int_equal(head.status, 200);
	assert_int_equal(head.body_len, 0);
	assert_string_equal(header(&head, "Content-Length"),
	    header(&get, "Content-Length"));
	assert_true(get.body_len > 0);
}

/* --- X-Request-Id. --- */

static void
test_request_id_is_echoed(void **state)
{
	struct answer		a;
	const char *const	env[] = { "HTTP_X_REQUEST_ID=ci-run.42:a_b-c",
				    NULL };

	(void)state;
	run(&a, "GET", "/plain", NULL, env);
	assert_string_equal(header(&a, "X-Request-Id"), "ci-run.42:a_b-c");
	assert_string_equal(member(&a, "request_id"), "ci-run.42:a_b-c");
}

static int
is_generated_id(const char *s)
{
	return s != NULL && strlen(s) == 24 &&
	    strspn(s, "0123456789abcdef") == 24;
}

static void
test_request_id_is_generated_when_absent(void **state)
{
	struct answer	a, b;

	(void)state;
	run(&a, "GET", "/plain", NULL, NULL);
	run(&b, "GET", "/nowhere", NULL, NULL);
	assert_true(is_generated_id(header(&a, "X-Request-Id")));
	assert_true(is_generated_id(header(&b, "X-Request-Id")));
	assert_string_not_equal(header(&a, "X-Request-Id"),
	    header(&b, "X-Request-Id"));
	assert_string_equal(member(&a, "request_id"),
	    header(&a, "X-Request-Id"));
}

static void
test_request_id_not_sane_is_replaced(void **state)
{
	struct answer		a;
	char			 big[160];
	const char *const	bad[] = { "HTTP_X_REQUEST_ID=two words",
				    "HTTP_X_REQUEST_ID=a\"b", big };
	const char		*env[2] = { NULL, NULL };
	size_t			 i;

	(void)state;
	snprintf(big, sizeof(big), "HTTP_X_REQUEST_ID=%0129d", 0);
	for (i = 0; i < TT_NITEMS(bad); i++) {
		env[0] = bad[i];
		run(&a, "GET", "/plain", NULL, env);
		assert_true(is_generated_id(header(&a, "X-Request-Id")));
	}
}

/* --- The client's address. --- */

static void
test_forwarded_for_is_ignored_without_trusted_proxies(void **state)
{
	struct answer		a;
	const char *const	env[] = { "REMOTE_ADDR=192.0.2.7",
				    "HTTP_X_FORWARDED_FOR=203.0.113.5", NULL };

	(void)state;
	run(&a, "GET", "/plain", NULL, env);
	assert_string_equal(member(&a, "remote_addr"), "192.0.2.7");
}

static void
test_forwarded_for_names_the_client_behind_a_trusted_proxy(void **state)
{
	struct answer		a;
	const char *const	env[] = { "REMOTE_ADDR=192.0.2.7",
				    "HTTP_X_FORWARDED_FOR=198.51.100.1, "
				    "203.0.113.5",
				    "TT_TRUSTED_PROXIES=192.0.2.0/24", NULL };

	(void)state;
	run(&a, "GET", "/plain", NULL, env);
	assert_string_equal(member(&a, "remote_addr"), "203.0.113.5");
}

static void
test_forwarded_for_from_an_untrusted_peer_is_ignored(void **state)
{
	struct answer		a;
	const char *const	env[] = { "REMOTE_ADDR=192.0.2.7",
				    "HTTP_X_FORWARDED_FOR=203.0.113.5",
				    "TT_TRUSTED_PROXIES=10.0.0.0/8", NULL };

	(void)state;
	run(&a, "GET", "/plain", NULL, env);
	assert_string_equal(member(&a, "remote_addr"), "192.0.2.7");
}

/* --- The session step (needs the database). --- */

static const char	*user, *inst, *token;

static int
world(void **state)
{
	const char	*key;
	time_t		 now = time(NULL);

	(void)state;
	A = tt_arena_new();
	user = testdb_user(A);
	inst = testdb_installation(A);
	testdb_member(A, inst, user);
	key = testdb_key(A, user, RW);
	token = testdb_token(A, user, key, RW, now, now + 60, NULL);
	return 0;
}

/* GET uri with the world's token. */
static void
get_with_token(struct answer *a, const char *uri)
{
	const char	*env[2];

	env[0] = tt_arena_printf(A, "HTTP_AUTHORIZATION=Bearer %s", token);
	env[1] = NULL;
	run(a, "GET", uri, NULL, env);
}

static int
handler_ran(const struct answer *a)
{
	return strstr(a->err, "pipeline: handler ran") != NULL;
}

/* The handler's answer is nowhere in a. */
static void
assert_no_handler_answer(const struct answer *a)
{
	assert_null(strstr(a->body, "secret"));
	assert_null(header(a, "X-Handler"));
}

static void
test_member_gets_the_handlers_answer(void **state)
{
	struct answer	a;

	(void)state;
	get_with_token(&a, tt_arena_printf(A, "/auth/%s", inst));
	assert_int_equal(a.status, 200);
	assert_true(handler_ran(&a));
	assert_string_equal(member(&a, "secret"), "the handler's answer");
	assert_string_equal(header(&a, "X-Handler"), "ran");
}

static void
test_missing_credential_is_401_before_the_handler(void **state)
{
	struct answer	a;

	(void)state;
	run(&a, "GET", tt_arena_printf(A, "/auth/%s", inst), NULL, NULL);
	assert_error(&a, 401, "UNAUTHORIZED");
	assert_non_null(header(&a, "WWW-Authenticate"));
	assert_false(handler_ran(&a));
	assert_no_handler_answer(&a);
}

static void
test_non_member_is_403_before_the_handler(void **state)
{
	struct answer	a;

	(void)state;
	testdb_unmember(A, inst, user);
	get_with_token(&a, tt_arena_printf(A, "/auth/%s", inst));
	assert_error(&a, 403, "NO_INSTALLATION_ACCESS");
	assert_false(handler_ran(&a));
	assert_no_handler_answer(&a);
}

/* Gated: the handler runs, but a refusal is all that is answered. */
static void
test_gated_refusal_replaces_the_handlers_answer(void **state)
{
	struct answer	a;

	(void)state;
	testdb_unmember(A, inst, user);
	get_with_token(&a, tt_arena_printf(A, "/gated/%s", inst));
	assert_true(handler_ran(&a));
	assert_error(&a, 403, "NO_INSTALLATION_ACCESS");
	assert_no_handler_answer(&a);
	assert_string_equal(header(&a, "Content-Length"),
	    tt_arena_printf(A, "%zu", a.body_len));
}

static void
test_gated_member_gets_the_handlers_answer(void **state)
{
	struct answer	a;

	(void)state;
	get_with_token(&a, tt_arena_printf(A, "/gated/%s", inst));
	assert_int_equal(a.status, 200);
	assert_string_equal(member(&a, "secret"), "the handler's answer");
	assert_string_equal(header(&a, "X-Handler"), "ran");
}

/* A refusal reads the same, whether or not the handler ran first. */
static void
test_refusal_reads_the_same_gated_or_not(void **state)
{
	struct answer	gated, plain;

	(void)state;
	testdb_unmember(A, inst, user);
	get_with_token(&gated, tt_arena_printf(A, "/gated/%s", inst));
	get_with_token(&plain, tt_arena_printf(A, "/auth/%s", inst));
	assert_int_equal(plain.status, 403);
	assert_int_equal(gated.status, plain.status);
	assert_string_equal(gated.body, plain.body);
}

int main(void);

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, arena, arena_end)
#define S(f)	cmocka_unit_test_setup_teardown(f, world, arena_end)
	const struct CMUnitTest pipeline[] = {
		T(test_unknown_path_is_404),
		T(test_wrong_method_is_405_with_allow),
		T(test_unknown_method_is_405),
		T(test_query_is_not_part_of_the_path),
		T(test_json_body_reaches_the_handler),
		T(test_json_type_may_have_parameters),
		T(test_body_without_content_length_is_411),
		T(test_body_over_the_routes_limit_is_413),
		T(test_body_of_another_type_is_415),
		T(test_malformed_json_is_400),
		T(test_json_with_a_byte_order_mark_is_400),
		T(test_json_not_utf8_is_400),
		T(test_empty_json_body_is_400),
		T(test_body_shorter_than_its_length_is_400),
		T(test_bad_content_length_is_400),
		T(test_standard_headers),
		T(test_errors_have_the_standard_headers),
		T(test_a_handlers_headers_replace_the_defaults),
		T(test_204_has_no_body_and_no_content_type),
		T(test_head_answers_the_headers_without_the_body),
		T(test_request_id_is_echoed),
		T(test_request_id_is_generated_when_absent),
		T(test_request_id_not_sane_is_replaced),
		T(test_forwarded_for_is_ignored_without_trusted_proxies),
		T(test_forwarded_for_names_the_client_behind_a_trusted_proxy),
		T(test_forwarded_for_from_an_untrusted_peer_is_ignored),
	};
	const struct CMUnitTest session[] = {
		S(test_member_gets_the_handlers_answer),
		S(test_missing_credential_is_401_before_the_handler),
		S(test_non_member_is_403_before_the_handler),
		S(test_gated_refusal_replaces_the_handlers_answer),
		S(test_gated_member_gets_the_handlers_answer),
		S(test_refusal_reads_the_same_gated_or_not),
	};
#undef T
#undef S
	char	self[4096];
	ssize_t	n;
	int	failed;

	/* build/tests/unit/test_serve runs build/tests/progs/pipeline. */
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0)
		return 1;
	self[n] = '\0';
	snprintf(prog, sizeof(prog), "%s/../progs/pipeline", dirname(self));
	if (access(prog, X_OK) != 0) {
		printf("# %s is missing: run make\n", prog);
		return 1;
	}

	failed = cmocka_run_group_tests_name("pipeline", pipeline, NULL,
	    NULL);
	failed += cmocka_run_group_tests_name("session step", session,
	    testdb_open, testdb_close);
	return failed != 0;
}
