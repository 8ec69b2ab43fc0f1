# Makefile: terrateam-c, a Terrateam-compatible API as FastCGI programs.
# Targets: all run test unit cgi-test integration valgrind fuzz bench lint deps clean
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

SCHEMA_VERSION := $(shell ls sql | sed -n 's/^0*\([0-9][0-9]*\)_.*\.sql$$/\1/p' | sort -n | tail -1)
DEFAULT_DB = host=$(CURDIR)/var/run port=5432 user=terrateam dbname=terrateam

CFLAGS	?= -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	   -Wpointer-arith -Wsign-compare -Wmissing-prototypes \
	   -fstack-protector-strong -fPIE $(HARDEN) $(SANFLAGS) -MMD -MP \
	   -iquote lib $(PKG_CFLAGS) \
	   -DTT_DEFAULT_DATABASE_URL='"$(DEFAULT_DB)"' \
	   -DTT_DEFAULT_SQL_DIR='"$(CURDIR)/sql"' \
	   -DTT_SCHEMA_VERSION=$(SCHEMA_VERSION)
LDFLAGS	+= -pie $(SANFLAGS)
LDLIBS	+= $(PKG_LIBS) -lm

LIB_SRCS = lib/apikey.c lib/arena.c lib/buf.c lib/caps.c lib/config.c \
	   lib/crypto.c lib/db.c lib/token.c lib/signkey.c \
	   lib/github.c lib/ghauth.c lib/ledger.c lib/ghevents.c lib/ghsig.c \
	   lib/http.c lib/json.c lib/keystore.c lib/kv.c lib/log.c \
	   lib/manifests.c lib/page.c \
	   lib/route.c lib/serve.c lib/stacks.c lib/stackstate.c lib/tagquery.c \
	   lib/session.c lib/url.c lib/valid.c lib/yaml.c
LIB_OBJS = $(LIB_SRCS:%.c=$(B)/%.o)
LIBTT	 = $(B)/libtt.a

PROGRAMS = health refresh access-tokens kv manifests stacks github-events
PROG_BINS = $(PROGRAMS:%=$(B)/cgi-bin/%)
TOOL_SRCS = tools/ttctl.c tools/ttctl_key.c tools/ttctl_manifests.c \
	    tools/ttctl_migrate.c tools/ttctl_user.c tools/ttctl_events.c
TTCTL	 = $(B)/bin/ttctl
TEST_PROGS = echo hello ghcall
TEST_PROG_BINS = $(TEST_PROGS:%=$(B)/tests/progs/%)

UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:%.c=$(B)/%)

V ?= 0
ifeq ($(V),0)
Q = @
else
Q =
endif

.PHONY: all run test unit cgi-test integration valgrind fuzz bench lint deps clean \
	check-sanitize examples
.DEFAULT_GOAL := all
.SECONDARY:

ifeq ($(SANITIZE),1)
all: $(PROG_BINS) $(TTCTL) $(TEST_PROG_BINS) $(UNIT_BINS)
else
all: $(PROG_BINS) $(TTCTL) $(TEST_PROG_BINS) $(UNIT_BINS) \
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

$(B)/tests/unit/%: $(B)/tests/unit/%.o $(LIBTT)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIBTT) $(LDLIBS) -lcmocka

# The schema version is compiled into health: rebuild it when sql/ changes.
$(B)/cgi-bin/health.o: $(wildcard sql/*.sql)

bin/ttctl: $(TTCTL)
	@mkdir -p bin
	$(Q)ln -sf ../$(TTCTL) bin/ttctl

deps:
	@tools/install-deps.sh

run: deps
	@$(MAKE) --no-print-directory SANITIZE=0 all
	@tools/run.sh

# Unit tests only (quick); `make test` runs everything.
unit: all
	@tests/run.sh unit

cgi-test: all
	@tests/run.sh cgi

integration: all
	@tests/run.sh integration

fuzz:
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

valgrind: all
	@tests/run.sh valgrind

test: deps
	@$(MAKE) --no-print-directory SANITIZE=0 all
	@$(MAKE) --no-print-directory SANITIZE=1 all
	@tests/run.sh all

bench: deps
	@$(MAKE) --no-print-directory SANITIZE=0 all
	@tools/bench.sh

lint:
	@tools/lint.sh

clean:
	rm -rf build build-san bin

-include $(LIB_OBJS:.o=.d) $(B)/cgi-bin/*.d $(B)/tools/*.d $(B)/tests/*/*.d
