/* test_ghsig.c: webhook signatures: GitHub's vector and the negatives. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ghsig.h"

/* docs.github.com "Validating webhook deliveries", Testing the signature. */
#define SECRET	"It's a Secret to Everybody"
#define BODY	"Hello, World!"
#define GOOD	"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

static int
verify(const char *h, const char *body, const char *secret)
{
	return tt_ghsig_verify(h, body, strlen(body),
	    (const unsigned char *)secret, strlen(secret));
}

static void
test_github_vector(void **state)
{
	(void)state;
	assert_int_equal(verify(GOOD, BODY, SECRET), 1);
}

static void
test_bit_flips(void **state)
{
	char	h[sizeof(GOOD)], body[sizeof(BODY)], secret[sizeof(SECRET)];
	size_t	i;
	int	b;

	(void)state;
	/* Every bit of every digest digit: the digit changes or leaves hex. */
	for (i = strlen("sha256="); i < strlen(GOOD); i++)
		for (b = 0; b < 8; b++) {
			memcpy(h, GOOD, sizeof(h));
			h[i] ^= (char)(1 << b);
			assert_int_equal(verify(h, BODY, SECRET), 0);
		}
	for (i = 0; i < strlen(BODY); i++)
		for (b = 0; b < 8; b++) {
			memcpy(body, BODY, sizeof(body));
			body[i] ^= (char)(1 << b);
			assert_int_equal(verify(GOOD, body, SECRET), 0);
		}
	for (i = 0; i < strlen(SECRET); i++) {
		memcpy(secret, SECRET, sizeof(secret));
		secret[i] ^= 1;
		assert_int_equal(verify(GOOD, BODY, secret), 0);
	}
}

static void
test_header_forms(void **state)
{
	static const char *const bad[] = {
		NULL, "",
		"sha256=",
		"SHA256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
		"sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17",
		"sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59",
		" sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17 ",
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1",
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e177",
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17,sha256=00",
		"sha256 = 757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
	};
	unsigned char	mac[TT_SHA256_LEN];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tt_ghsig_parse(bad[i], mac), -1);
		assert_int_equal(tt_ghsig_verify(bad[i], BODY, strlen(BODY),
		    (const unsigned char *)SECRET, strlen(SECRET)), 0);
	}
	assert_int_equal(tt_ghsig_parse(GOOD, mac), 0);
	assert_int_equal(mac[0], 0x75);
}

static void
test_empty_secret(void **state)
{
	char		h[80];
	unsigned char	mac[TT_SHA256_LEN];

	(void)state;
	/* Even a correct HMAC under the empty key is refused. */
	tt_crypto_hmac_sha256("", 0, BODY, strlen(BODY), mac);
	strcpy(h, "sha256=");
	tt_crypto_hex(mac, sizeof(mac), h + 7);
	assert_int_equal(tt_ghsig_verify(h, BODY, strlen(BODY),
	    (const unsigned char *)"", 0), 0);
	assert_int_equal(tt_ghsig_verify(h, BODY, strlen(BODY), NULL, 0), 0);
}

/* The secret file: current and previous lines, reloads, empties. */
static void
test_secret_file(void **state)
{
	char			 path[] = "/tmp/tt-ghsig-XXXXXX";
	const unsigned char	*s[2];
	size_t			 len[2];
	const char		*why = NULL;
	FILE			*f;
	int			 fd;

	(void)state;
	tt_config.github_webhook_secret_file = NULL;
	assert_int_equal(tt_ghsig_secrets(s, len, &why), 0);
	assert_non_null(why);

	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	tt_config.github_webhook_secret_file = path;
	assert_int_equal(tt_ghsig_secrets(s, len, &why), 0);	/* empty */
	assert_non_null(strstr(why, "is empty"));
	assert_non_null(strstr(why, path));

	assert_non_null(f = fopen(path, "w"));
	fputs("new-secret\r\nold-secret\n", f);
	fclose(f);
	assert_int_equal(tt_ghsig_secrets(s, len, &why), 2);
	assert_int_equal(len[0], 10);
	assert_memory_equal(s[0], "new-secret", 10);
	assert_int_equal(len[1], 10);
	assert_memory_equal(s[1], "old-secret", 10);

	assert_non_null(f = fopen(path, "w"));
	fputs("only-one-secret-now\n", f);
	fclose(f);
	assert_int_equal(tt_ghsig_secrets(s, len, &why), 1);
	assert_int_equal(len[0], 19);
	assert_memory_equal(s[0], "only-one-secret-now", 19);
	assert_null(s[1]);

	unlink(path);
	assert_int_equal(tt_ghsig_secrets(s, len, &why), 0);
	/* Why names the variable, the file and the system's reason. */
	assert_non_null(strstr(why, "cannot read TT_GITHUB_WEBHOOK_SECRET_FILE"));
	assert_non_null(strstr(why, path));
	assert_non_null(strstr(why, "No such file or directory"));
	/* A directory opens, and its read fails. */
	tt_config.github_webhook_secret_file = "/tmp";
	assert_int_equal(tt_ghsig_secrets(s, len, &why), 0);
	assert_non_null(strstr(why, "/tmp: Is a directory"));
	tt_ghsig_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_github_vector),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_header_forms),
		cmocka_unit_test(test_empty_secret),
		cmocka_unit_test(test_secret_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
