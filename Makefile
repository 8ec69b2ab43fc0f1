# Makefile: terrateam-c, a Terrateam-compatible API as FastCGI programs.
# Targets: all run test check case unit integration valgrind fuzz bench soak
#          lint deps clean install uninstall
# SANITIZE=1 builds with ASan+UBSan into build-san/.

-include config.mk

CC	?= cc
PKGS	 = fcgi libcjson libjwt libpq libcurl libcrypto zlib yaml-0.1
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lfcgi -lcjson -ljwt -lpq -lcurl -lcrypto -lz -lyaml)

ifeq ($(SANITIZE),1)
B	 = build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
HARDEN	 =
else
B	 = build
SANFLAGS =
HARDEN	 = -D_FORTIFY_SOURCE=2 -O2
endif

# Where `make install` puts things (DESTDIR stages a package).
PREFIX	  ?= /usr/local
BINDIR	  ?= $(PREFIX)/bin
CGIBINDIR ?= $(PREFIX)/lib/cgi-bin/terrateam-c
DATADIR	  ?= $(PREFIX)/share/terrateam-c
WEBDIR     ?= $(DATADIR)/web
ERRDIR     ?= $(DATADIR)/errors
SQLDIR	  ?= $(DATADIR)/sql
DOCDIR	  ?= $(PREFIX)/share/doc/terrateam-c
INSTALL	  ?= install

SCHEMA_VERSION := $(shell ls sql | sed -n 's/^0*\([0-9][0-9]*\)_.*\.sql$$/\1/p' | sort -n | tail -1)
DEFAULT_DB = host=$(CURDIR)/var/run port=5432 user=terrateam dbname=terrateam

CFLAGS	?= -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	   -Wpointer-arith -Wsign-compare -Wmissing-prototypes \
	   -fstack-protector-strong -fPIE $(HARDEN) $(SANFLAGS) -MMD -MP \
	   -iquote lib $(PKG_CFLAGS) $(DEFAULT_PATHS) \
	   -DTT_SCHEMA_VERSION=$(SCHEMA_VERSION)
# The compiled-in defaults of TT_DATABASE_URL, TT_SQL_DIR and
# TT_OPENAPI_FILE (lib/config.c): this checkout's cluster, sql/ and built
# openapi.json, so bin/ttctl needs no configuration. Installed copies get
# others (see "Installation" below).
DEFAULT_PATHS = -DTT_DEFAULT_DATABASE_URL='"$(DEFAULT_DB)"' \
		-DTT_DEFAULT_SQL_DIR='"$(CURDIR)/sql"' \
		-DTT_DEFAULT_OPENAPI_FILE='"$(CURDIR)/$(B)/openapi.json"'
LDFLAGS	+= -pie $(SANFLAGS)
LDLIBS	+= $(PKG_LIBS) -lm

LIB_SRCS = lib/apikey.c lib/arena.c lib/asset.c lib/buf.c lib/caps.c lib/clientaddr.c \
	   lib/clock.c \
	   lib/config.c \
	   lib/crypto.c lib/db.c lib/dbcancel.c lib/dbpipe.c lib/token.c lib/signkey.c \
	   lib/github.c lib/ghauth.c lib/ledger.c lib/ghevents.c lib/ghinst.c lib/ghpull.c \
	   lib/ghsig.c lib/ghsetup.c \
	   lib/http.c lib/json.c lib/jwk.c lib/jwks.c lib/keystore.c lib/kv.c lib/log.c \
	   lib/manifests.c lib/oidc.c lib/page.c lib/audit.c lib/auditq.c \
	   lib/lease.c lib/ratelimit.c \
	   lib/route.c lib/serve.c lib/stacks.c lib/stackstate.c lib/tagquery.c \
	   lib/session.c lib/trust.c lib/url.c lib/valid.c lib/yaml.c \
	   lib/websession.c lib/ghoauth.c lib/signin.c lib/refresh.c lib/refreshq.c \
	   lib/runner.c lib/runreport.c lib/ghtext.c lib/dispatch.c lib/ghcomment.c
LIB_OBJS = $(LIB_SRCS:%.c=$(B)/%.o)
LIBTT	 = $(B)/libtt.a

PROGRAMS = health refresh access-tokens kv manifests stacks github-events \
	   work-manifests \
	   web-session
PROG_BINS = $(PROGRAMS:%=$(B)/cgi-bin/%)
TOOL_SRCS = tools/ttctl.c tools/ttctl_key.c tools/ttctl_audit.c tools/ttctl_manifests.c \
	    tools/ttctl_migrate.c tools/ttctl_user.c tools/ttctl_events.c \
	    tools/ttctl_oidc.c tools/ttctl_plans.c
TTCTL	 = $(B)/bin/ttctl
# docs/openapi.yaml as JSON, served at /api/v1/openapi.json by health.
OPENAPI_TOOL = $(B)/bin/openapi-json
OPENAPI_JSON = $(B)/openapi.json
TEST_PROGS = echo hello ghcall pipeline
TEST_PROG_BINS = $(TEST_PROGS:%=$(B)/tests/progs/%)

UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:%.c=$(B)/%)

V ?= 0
ifeq ($(V),0)
Q = @
else
Q =
endif

.PHONY: all run test check case unit integration valgrind fuzz bench soak lint deps \
	clean check-sanitize examples install uninstall FORCE
.DEFAULT_GOAL := all
.SECONDARY:

ifeq ($(SANITIZE),1)
all: $(PROG_BINS) $(TTCTL) $(OPENAPI_JSON) $(TEST_PROG_BINS) $(UNIT_BINS)
else
all: $(PROG_BINS) $(TTCTL) $(OPENAPI_JSON) $(TEST_PROG_BINS) $(UNIT_BINS) \
     $(if $(filter build,$(B)),bin/ttctl)
endif

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(LIBTT): $(LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/cgi-bin/%: $(B)/cgi-bin/%.o $(LIBTT)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIBTT) $(LDLIBS)

$(B)/tests/progs/%: $(B)/tests/progs/%.o $(LIBTT)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIBTT) $(LDLIBS)

$(TTCTL): $(TOOL_SRCS:%.c=$(B)/%.o) $(LIBTT)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(TOOL_SRCS:%.c=$(B)/%.o) $(LIBTT) $(LDLIBS)

$(OPENAPI_TOOL): $(B)/tools/openapi-json.o $(LIBTT)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIBTT) $(LDLIBS)

$(OPENAPI_JSON): docs/openapi.yaml $(OPENAPI_TOOL)
	@echo "  GEN $@"
	$(Q)$(OPENAPI_TOOL) docs/openapi.yaml $@

$(B)/tests/unit/%: $(B)/tests/unit/%.o $(LIBTT)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBTT) $(LDLIBS) -lcmocka

# The unit tests that need the database (TT_DATABASE_URL, which
# tests/run.sh unit provides) share its fixtures.
UNIT_DB_TESTS = test_kv test_serve test_session test_dbconn
$(UNIT_DB_TESTS:%=$(B)/tests/unit/%): $(B)/tests/unit/testdb.o
# test_serve runs the pipeline test program as CGI.
$(B)/tests/unit/test_serve: | $(B)/tests/progs/pipeline

# The statement check sees every statement of the library: all of it linked.
$(B)/tests/unit/test_dbstmt: $(B)/tests/unit/test_dbstmt.o $(LIBTT)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< -Wl,--whole-archive $(LIBTT) \
	    -Wl,--no-whole-archive $(LDLIBS) -lcmocka

# The Citus check reads every statement too (all of the library linked),
# the migrated schema (testdb.o) and its list of known blockers.
$(B)/tests/unit/test_citus.o: CFLAGS += \
	-DTT_CITUS_BLOCKERS='"$(CURDIR)/tests/unit/citus-blockers.txt"'
$(B)/tests/unit/test_citus: $(B)/tests/unit/test_citus.o \
    $(B)/tests/unit/testdb.o $(LIBTT)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) -Wl,--whole-archive \
	    $(LIBTT) -Wl,--no-whole-archive $(LDLIBS) -lcmocka

# Every call the library makes to OpenSSL's constant-time compare goes
# through the test's wrapper first (test_consttime.c).
$(B)/tests/unit/test_consttime: LDFLAGS += -Wl,--wrap=CRYPTO_memcmp

# The schema version is compiled into health: rebuild it when sql/ changes.
$(B)/cgi-bin/health.o: $(wildcard sql/*.sql)

bin/ttctl: $(TTCTL)
	@mkdir -p bin
	$(Q)ln -sf ../$(TTCTL) bin/ttctl

# Installation. The build/ programs and ttctl default to paths inside this
# checkout, which mean nothing on the host they are installed on. So
# `make install` links each program and ttctl once more, from the same
# objects, with one extra object in front of libtt.a: lib/config.c
# compiled with the installed defaults (TT_SQL_DIR = $(SQLDIR), and
# TT_DATABASE_URL = "dbname=terrateam", libpq's default socket, as in
# apache.conf). The linker then never takes libtt.a's own config.o.
# $(B)/install/paths holds the paths it was compiled with, so another
# PREFIX or SQLDIR recompiles it. DESTDIR is not compiled in.
INST	   = $(B)/install
INST_PROGS = $(PROGRAMS:%=$(INST)/cgi-bin/%)
INST_TTCTL = $(INST)/bin/ttctl
INST_SQL   = $(notdir $(wildcard sql/*.sql))
INST_DOCS  = README.md apache.conf apache-proxy-fcgi.conf lighttpd.conf
# The API Access page (static files the web server serves at /web/).
WEB_FILES  = $(notdir $(wildcard web/*))
# The web servers' own JSON error bodies (413 for a body over a route's limit).
ERR_FILES  = $(notdir $(wildcard errors/*))

$(INST)/paths: FORCE
	@mkdir -p $(dir $@)
	@echo '$(SQLDIR) $(DATADIR)' | cmp -s - $@ || echo '$(SQLDIR) $(DATADIR)' >$@

$(INST)/config.o: DEFAULT_PATHS = -DTT_DEFAULT_SQL_DIR='"$(SQLDIR)"' \
		-DTT_DEFAULT_OPENAPI_FILE='"$(DATADIR)/openapi.json"'
$(INST)/config.o: lib/config.c $(INST)/paths
	@echo "  CC $< (installed defaults)"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(INST)/cgi-bin/%: $(B)/cgi-bin/%.o $(INST)/config.o $(LIBTT)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(INST)/config.o $(LIBTT) $(LDLIBS)

$(INST_TTCTL): $(TOOL_SRCS:%.c=$(B)/%.o) $(INST)/config.o $(LIBTT)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(TOOL_SRCS:%.c=$(B)/%.o) $(INST)/config.o \
	    $(LIBTT) $(LDLIBS)

install: $(INST_PROGS) $(INST_TTCTL) $(OPENAPI_JSON)
	$(INSTALL) -d -m 0755 $(DESTDIR)$(CGIBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(SQLDIR) $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 0755 $(INST_PROGS) $(DESTDIR)$(CGIBINDIR)/
	$(INSTALL) -m 0755 $(INST_TTCTL) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0644 $(INST_SQL:%=sql/%) $(DESTDIR)$(SQLDIR)/
	$(INSTALL) -m 0644 $(OPENAPI_JSON) $(DESTDIR)$(DATADIR)/
	$(INSTALL) -m 0644 $(INST_DOCS) $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -d -m 0755 $(DESTDIR)$(WEBDIR)
	$(INSTALL) -m 0644 $(WEB_FILES:%=web/%) $(DESTDIR)$(WEBDIR)/
	$(INSTALL) -d -m 0755 $(DESTDIR)$(ERRDIR)
	$(INSTALL) -m 0644 $(ERR_FILES:%=errors/%) $(DESTDIR)$(ERRDIR)/

# Removes the files install put there, then this package's own
# directories (those named terrateam-c, and its sql/) once empty.
uninstall:
	rm -f $(PROGRAMS:%=$(DESTDIR)$(CGIBINDIR)/%) $(DESTDIR)$(BINDIR)/ttctl \
	    $(DESTDIR)$(DATADIR)/openapi.json \
	    $(INST_SQL:%=$(DESTDIR)$(SQLDIR)/%) $(INST_DOCS:%=$(DESTDIR)$(DOCDIR)/%) \
	    $(WEB_FILES:%=$(DESTDIR)$(WEBDIR)/%) $(ERR_FILES:%=$(DESTDIR)$(ERRDIR)/%)
	@[ ! -d $(DESTDIR)$(WEBDIR) ] || rmdir $(DESTDIR)$(WEBDIR) 2>/dev/null || true
	@[ ! -d $(DESTDIR)$(ERRDIR) ] || rmdir $(DESTDIR)$(ERRDIR) 2>/dev/null || true
	@for d in $(DESTDIR)$(SQLDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR) \
	    $(DESTDIR)$(CGIBINDIR); do \
		case $$d in */terrateam-c|*/terrateam-c/sql) \
			[ ! -d $$d ] || rmdir $$d 2>/dev/null || true ;; esac; \
	done

deps:
	@tools/install-deps.sh

run: deps
	@$(MAKE) --no-print-directory SANITIZE=0 all
	@tools/run.sh

# Unit tests only (quick); `make test` runs everything.
unit: all
	@tests/run.sh unit

integration: all
	@tests/run.sh integration

# `make fuzz`: each target 60 s (make test runs them 10 s each).
FUZZ_SECONDS ?= 60
fuzz:
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

valgrind: all
	@tests/run.sh valgrind

# Before each commit: lint, unit tests and the lighttpd FastCGI pass.
check: deps
	@$(MAKE) --no-print-directory -j$(JOBS) SANITIZE=0 all
	@tests/run.sh check

# One case against one web server in seconds (NAME=kv-basic [SERVER=apache]);
# the environment stays up for the next call: make case STOP=1 ends it.
case: all
	@tests/run.sh case $(if $(STOP),--stop,$(NAME) $(if $(SERVER),--server $(SERVER)))

# The two builds use every core (make test is often run without -j).
JOBS := $(shell nproc 2>/dev/null || echo 1)
test: deps
	@$(MAKE) --no-print-directory -j$(JOBS) SANITIZE=0 all
	@$(MAKE) --no-print-directory -j$(JOBS) SANITIZE=1 all
	@tests/run.sh all

# The mixed load for MINUTES (10), sampling memory, descriptors and
# connections; fails on growth (tools/soak.sh states the bounds).
soak: deps
	@$(MAKE) --no-print-directory SANITIZE=0 all
	@MINUTES=$(or $(MINUTES),10) tools/soak.sh

bench: deps
	@$(MAKE) --no-print-directory SANITIZE=0 all
	@tools/bench.sh

lint:
	@tools/lint.sh

clean:
	rm -rf build build-san bin

-include $(LIB_OBJS:.o=.d) $(B)/cgi-bin/*.d $(B)/tools/*.d $(B)/tests/*/*.d \
	 $(INST)/config.d
