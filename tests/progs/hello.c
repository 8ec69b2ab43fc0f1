/* hello.c: the bench baseline, a bare libfcgi hello-world program (FastCGI,
 * or one answer under plain CGI). */
/* SPDX-License-Identifier: MIT */
#include <fcgiapp.h>
#include <stdio.h>

int main(void);

int
main(void)
{
	FCGX_Request	r;
	static const char out[] = "Status: 200 OK\r\n"
	    "Content-Type: application/json\r\nContent-Length: 17\r\n\r\n"
	    "{\"hello\":\"world\"}";

	/* Plain CGI (the CGI bench's baseline): one answer on stdout. */
	if (FCGX_IsCGI())
		return fwrite(out, 1, sizeof(out) - 1, stdout) ==
		    sizeof(out) - 1 ? 0 : 1;
	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_PutStr(out, sizeof(out) - 1, r.out);
		FCGX_Finish_r(&r);
	}
	return 0;
}
