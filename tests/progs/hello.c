/* hello.c: the bench baseline, a bare libfcgi hello-world program. */
/* SPDX-License-Identifier: MIT */
#include <fcgiapp.h>

int main(void);

int
main(void)
{
	FCGX_Request	r;
	static const char out[] = "Status: 200 OK\r\n"
	    "Content-Type: application/json\r\nContent-Length: 16\r\n\r\n"
	    "{\"hello\":\"world\"}";

	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_PutStr(out, sizeof(out) - 1, r.out);
		FCGX_Finish_r(&r);
	}
	return 0;
}
