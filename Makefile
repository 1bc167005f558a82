# zhilian build. `make` builds build/zhilian; `make test` runs every suite;
# `make run` serves the demo; `make asan` runs the suites under sanitizers.

CC      ?= cc
PKGS    := libmicrohttpd jansson sqlite3 libsodium pangocairo libqrencode xlsxwriter libxml-2.0 libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -Isrc -Isrc/platform $(PKG_CFLAGS)
LDLIBS  := $(PKG_LIBS) -lpthread -lm

B       ?= build
SRC     := $(sort $(wildcard src/*/*.c))
OBJ     := $(patsubst src/%.c,$(B)/obj/%.o,$(SRC)) $(B)/obj/gen/migrations.o $(B)/obj/gen/openapi.o
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
MIGRATIONS := $(sort $(wildcard migrations/*.sql))
PYTEST  := /usr/bin/python3 -m pytest

.PHONY: all deps run test unit api web asan bench fuzz clean demo
all: $(B)/zhilian

deps:
	@scripts/deps.sh

$(B)/obj/%.o: src/%.c $(wildcard src/*/*.h) | $(B)/obj
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/gen/migrations.c: $(MIGRATIONS) scripts/embed-migrations.sh
	@mkdir -p $(dir $@)
	scripts/embed-migrations.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(B)/obj/gen/migrations.o: $(B)/gen/migrations.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/gen/openapi.c: docs/openapi.yaml scripts/embed-file.sh
	@mkdir -p $(dir $@)
	scripts/embed-file.sh zl_openapi_yaml docs/openapi.yaml > $@.tmp && mv $@.tmp $@

$(B)/obj/gen/openapi.o: $(B)/gen/openapi.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/libzhilian.a: $(filter-out $(B)/obj/main.o,$(OBJ))
	rm -f $@ && ar rcs $@ $^

$(B)/zhilian: $(B)/obj/main.o $(B)/libzhilian.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/obj/main.o: src/main.c $(wildcard src/*/*.h) | $(B)/obj
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/obj:
	@mkdir -p $@

$(B)/tests/%: tests/unit/%.c $(B)/libzhilian.a tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -Itests/unit -o $@ $< $(B)/libzhilian.a $(LDLIBS) -lcmocka

unit: $(UNIT_BIN)
	@scripts/run-unit.sh $(UNIT_BIN)

api: $(B)/zhilian
	ZHILIAN_BIN=$(abspath $(B)/zhilian) $(PYTEST) -q -p no:cacheprovider tests/api

web: $(B)/zhilian
	@scripts/run-web-tests.sh $(abspath $(B)/zhilian)

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) api
	$(MAKE) web

# Library-internal leaks (cairo, fontconfig) are listed in tests/lsan.supp.
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
asan: deps
	$(ASAN_ENV) $(MAKE) B=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" all unit api web

run: deps
	$(MAKE) all
	@test -f zhilian.db || $(B)/zhilian demo --db zhilian.db
	@echo "zhilian: http://127.0.0.1:8080"
	@$(B)/zhilian demo --logins
	$(B)/zhilian serve --db zhilian.db --listen 127.0.0.1:8080

bench: deps all
	bench/http.sh
	bench/import.sh
	bench/contacts.sh

# libFuzzer targets for parsers of outside input (clang; FUZZ_SECONDS each).
FUZZ_SECONDS ?= 60
fuzz:
	@ZHILIAN_FUZZ=1 scripts/deps.sh
	$(MAKE) B=build-fuzz CC=clang CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" build-fuzz/libzhilian.a
	@mkdir -p build-fuzz/corpus/csv
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -Isrc/platform \
		$(PKG_CFLAGS) fuzz/csv.c build-fuzz/libzhilian.a $(LDLIBS) -o build-fuzz/fuzz-csv
	build-fuzz/fuzz-csv -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus/csv

clean:
	rm -rf build build-asan build-fuzz
