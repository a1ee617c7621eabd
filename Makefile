# Builds libpmem.so.1 / libpmem.a from the Rust crate, installs them, runs the tests.
#
# The shared library is linked here, not by rustc: rustc's own (anonymous) version script cannot
# give the symbols PMDK's LIBPMEM_1.0 version, so we link the staticlib with libpmem.map.

CARGO      ?= cargo
CC         ?= cc
CARGOFLAGS ?=

# The target's Debian architecture and multiarch directory, from the Rust triple of a cross
# build (CARGO_BUILD_TARGET); empty for a native build, which asks dpkg where it needs them.
TARGET_CPU       := $(if $(filter %-linux-gnu,$(CARGO_BUILD_TARGET)),$(firstword $(subst -, ,$(CARGO_BUILD_TARGET))))
DEB_ARCH_x86_64      := amd64
DEB_ARCH_aarch64     := arm64
DEB_ARCH_powerpc64le := ppc64el
DEB_ARCH_riscv64gc   := riscv64
TARGET_DEB_ARCH  := $(DEB_ARCH_$(TARGET_CPU))
TARGET_MULTIARCH := $(if $(TARGET_DEB_ARCH),$(patsubst riscv64gc,riscv64,$(TARGET_CPU))-linux-gnu)

PREFIX     ?= /usr/local
# Native: $(PREFIX)/lib. Cross: the target's multiarch directory under it, where its loader and
# its <triplet>-pkg-config look, so that a cross install never overwrites the native library.
ifneq ($(CARGO_BUILD_TARGET),)
LIBDIR     ?= $(PREFIX)/lib/$(or $(TARGET_MULTIARCH),$(error LIBDIR: no multiarch directory known for $(CARGO_BUILD_TARGET); set LIBDIR))
else
LIBDIR     ?= $(PREFIX)/lib
endif
INCDIR     ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
DESTDIR    ?=
SCDOC      ?= scdoc

VERSION    := 1.12.1
SO_FULL    := libpmem.so.$(VERSION:1.12.1=1.0.0)
# A cross build links into build/<triple>/, beside the native one.
BUILD      := build$(if $(CARGO_BUILD_TARGET),/$(CARGO_BUILD_TARGET))
# A cross build (CARGO_BUILD_TARGET=aarch64-unknown-linux-gnu make, with CC for the target in
# the environment) finds cargo's output under target/<triple>/.
CARGO_OUT  := $(or $(CARGO_TARGET_DIR),target)/$(if $(CARGO_BUILD_TARGET),$(CARGO_BUILD_TARGET)/)release
RUST_A     := $(CARGO_OUT)/libpmem.a
# What the Rust standard library needs from the system (rustc --print native-static-libs),
# with the static unwinder (libgcc_eh) instead of libgcc_s so that -static links work too.
LIBS_PRIVATE := -lgcc_eh -lutil -lrt -lpthread -lm -ldl -lc
# The .so takes the unwinder from libgcc_eh.a, so it needs nothing outside glibc at run time.
SO_LIBS := -static-libgcc -lgcc_eh -lutil -lrt -lpthread -lm -ldl -lc

# .cargo/config.toml puts every function on a 64-byte line; a RUSTFLAGS of the caller's would
# replace that setting, so the flag is added to it.
ifneq ($(strip $(RUSTFLAGS)),)
export RUSTFLAGS += -C llvm-args=-align-all-functions=6
endif

.PHONY: all lib header check-header man install install-man uninstall deb deps test test-rust test-c test-cross test-man test-clients test-valgrind test-dax test-deb bench clean example

all: lib check-header

$(RUST_A): FORCE
	$(CARGO) build --release --lib $(CARGOFLAGS)

FORCE:

# aarch64: the staticlib's compiler_builtins and libgcc_eh both define the SME ABI routines
# libgcc's unwinder calls; libgcc's are kept (the target's objcopy makes Rust's copies local).
ifneq ($(filter aarch64-%,$(CARGO_BUILD_TARGET)),)
OBJCOPY    ?= $(CROSS_COMPILE)objcopy
LINK_A     := $(BUILD)/libpmem-link.a
$(LINK_A): $(RUST_A)
	@mkdir -p $(BUILD)
	$(OBJCOPY) --localize-symbol=__arm_za_disable --localize-symbol=__arm_tpidr2_save $< $@
else
LINK_A     := $(RUST_A)
endif

lib: $(BUILD)/$(SO_FULL) $(BUILD)/libpmem.a

$(BUILD)/$(SO_FULL): $(LINK_A) libpmem.map
	@mkdir -p $(BUILD)
	$(CC) -shared -o $@ -Wl,-soname,libpmem.so.1 \
		-Wl,--version-script=libpmem.map -Wl,--no-undefined-version \
		-Wl,--gc-sections -Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,--strip-debug \
		-Wl,--whole-archive $(LINK_A) -Wl,--no-whole-archive $(SO_LIBS)
	ln -sf $(SO_FULL) $(BUILD)/libpmem.so.1
	ln -sf libpmem.so.1 $(BUILD)/libpmem.so

$(BUILD)/libpmem.a: $(LINK_A)
	@mkdir -p $(BUILD)
	cp $(LINK_A) $@

# The header cbindgen generated in this build (build.rs writes it to OUT_DIR).
GENERATED_H = $(shell ls -t $(CARGO_OUT)/build/libpmem-c-*/out/libpmem.h 2>/dev/null | head -1)

check-header: $(RUST_A)
	@cmp -s "$(GENERATED_H)" include/libpmem.h || \
		{ echo "include/libpmem.h is out of date: run 'make header' and review the diff" >&2; exit 1; }

header: $(RUST_A)
	cp "$(GENERATED_H)" include/libpmem.h

# Man pages: man/*.scd is the source; the roff made from it is checked in, so that building
# and installing need no scdoc. The date in the pages is fixed (set it when they change), so
# that man/check.sh can render a page made again from its source and compare it with ours.
MAN_SRC    := $(wildcard man/*.scd)
MAN3       := $(filter %.3,$(MAN_SRC:.scd=))
MAN7       := $(filter %.7,$(MAN_SRC:.scd=))
MAN_EPOCH  := 1796256000

man:
	@command -v $(SCDOC) >/dev/null || { echo "make man needs scdoc (apt-get install scdoc)" >&2; exit 1; }
	for f in $(MAN_SRC); do SOURCE_DATE_EPOCH=$(MAN_EPOCH) $(SCDOC) <$$f >$${f%.scd} || exit 1; done

# Pages into man3/man7, and for each further function a page covers a ".so" link to it.
install-man:
	install -d $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man7
	install -m 644 $(MAN3) $(DESTDIR)$(MANDIR)/man3/
	install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7/
	@mkdir -p $(BUILD)
	bash man/links.sh >$(BUILD)/man-links.txt
	while read -r link page; do \
		echo ".so man3/$$page" >$(DESTDIR)$(MANDIR)/man3/$$link && chmod 644 $(DESTDIR)$(MANDIR)/man3/$$link || exit 1; \
	done <$(BUILD)/man-links.txt

install: lib install-man
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 755 $(BUILD)/$(SO_FULL) $(DESTDIR)$(LIBDIR)/$(SO_FULL)
	ln -sf $(SO_FULL) $(DESTDIR)$(LIBDIR)/libpmem.so.1
	ln -sf libpmem.so.1 $(DESTDIR)$(LIBDIR)/libpmem.so
	install -m 644 $(BUILD)/libpmem.a $(DESTDIR)$(LIBDIR)/libpmem.a
	install -m 644 include/libpmem.h $(DESTDIR)$(INCDIR)/libpmem.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' -e 's|@LIBS_PRIVATE@|$(LIBS_PRIVATE)|' \
	    pkgconfig/libpmem.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libpmem.pc
	chmod 644 $(DESTDIR)$(LIBDIR)/pkgconfig/libpmem.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libpmem.so* $(DESTDIR)$(LIBDIR)/libpmem.a \
	      $(DESTDIR)$(INCDIR)/libpmem.h $(DESTDIR)$(LIBDIR)/pkgconfig/libpmem.pc \
	      $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(MAN3))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7)))
	@mkdir -p $(BUILD)
	bash man/links.sh >$(BUILD)/man-links.txt
	while read -r link page; do rm -f $(DESTDIR)$(MANDIR)/man3/$$link; done <$(BUILD)/man-links.txt

# Debian packages libpmem1-rs and libpmem-rs-dev (build/deb/), made from a `make install`
# staging tree; they take the place of Debian's libpmem1 and libpmem-dev.
# A cross build packages for the target's architecture, into build/<triple>/deb/.
DEB_OUT    ?= $(CURDIR)/$(BUILD)/deb
deb: all
	@if [ -n "$(CARGO_BUILD_TARGET)" ] && [ -z "$(TARGET_DEB_ARCH)" ]; then \
		echo "deb: no Debian architecture known for $(CARGO_BUILD_TARGET)" >&2; exit 1; fi
	MAKE="$(MAKE)" DEB_ARCH="$(TARGET_DEB_ARCH)" DEB_OUT="$(DEB_OUT)" bash packaging/deb/build.sh

# A real program against the freshly built library: copy a file into a pmem-mapped file.
example: all
	$(CC) -O2 -Wall -Wextra -Werror -Iinclude -o $(BUILD)/pmemcp examples/pmemcp.c -L$(BUILD) -lpmem
	@echo "---- pmemcp README.md -> /dev/shm/pmemcp.out"
	LD_LIBRARY_PATH=$(BUILD) $(BUILD)/pmemcp README.md /dev/shm/pmemcp.out
	cmp README.md /dev/shm/pmemcp.out && echo "pmemcp: copy verified" && rm -f /dev/shm/pmemcp.out

test: deps all test-rust test-c test-man test-clients test-valgrind test-dax test-deb test-cross

# The Debian packages the suites need, installed when missing (see tests/deps.sh).
deps:
	bash tests/deps.sh

# Both crates' unit, integration and doc tests; the Rust crate's memmap2 interop; its rustdoc
# builds without a warning.
test-rust:
	$(CARGO) test --release $(CARGOFLAGS)
	$(CARGO) test --release -p libpmem --features memmap2 --test api $(CARGOFLAGS)
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps -p libpmem --all-features $(CARGOFLAGS)

test-c: deps all
	bash tests-c/run.sh

# Other architectures (CROSS_ARCHS), under qemu-user, each in a Debian trixie chroot with its
# cross compilers, Rust std and PMDK (tests/cross/chroot.sh, cached in
# /var/cache/libpmem-rs-test/cross; the first run builds it, ~2 min + ~1 min an architecture):
# tests/cross/run.sh there. Needs root (skips with one line otherwise); PMEM_CROSS_SKIP=1 skips.
# Every architecture runs; any failure fails the target. An architecture whose chroot this machine
# cannot make (no mount namespace, Linux before 6.7, no mirror: chroot.sh's 125) is skipped,
# with a line saying so.
CROSS_ARCHS ?= aarch64 ppc64le riscv64
test-cross: deps
	@if [ "$${PMEM_CROSS_SKIP:-0}" = 1 ]; then echo "SKIP test-cross: PMEM_CROSS_SKIP=1"; exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "SKIP test-cross: needs root (debootstrap, mount, chroot); run 'sudo make test-cross'"; exit 0; fi; \
	failed=; \
	for a in $(CROSS_ARCHS); do \
		bash tests/cross/chroot.sh $$a $(CURDIR) bash tests/cross/run.sh; rc=$$?; \
		if [ $$rc = 125 ]; then echo "SKIP test-cross $$a: this machine cannot make its chroot (above)"; \
		elif [ $$rc != 0 ]; then failed="$$failed $$a"; fi; \
	done; \
	[ -z "$$failed" ] || { echo "test-cross: failed for$$failed"; exit 1; }

# Every exported function has a man page that installs and renders without warnings.
test-man: deps
	SCDOC=$(SCDOC) MAN_EPOCH=$(MAN_EPOCH) MAKE=$(MAKE) bash man/check.sh

test-clients: deps all
	bash tests/clients/run.sh $(CURDIR)/$(BUILD)

# pmemcheck and memcheck reports, ours against PMDK's (skipped, with a line saying so, when no
# pmemcheck/valgrind is found; PMEMCHECK=path names a pmemcheck build).
test-valgrind: deps all
	PMEM_LIBDIR=$(CURDIR)/$(BUILD) bash tests/valgrind/run.sh

# Device DAX, MAP_SYNC, persistence domains, deep flush: in QEMU guests with emulated NVDIMMs.
test-dax: deps all
	PMEM_LIBDIR=$(CURDIR)/$(BUILD) VERBOSE=0 bash tests/dax/run.sh

# The packages installed over Debian's PMDK in throwaway bookworm and trixie chroots (needs root;
# skips with one line otherwise). It installs debootstrap, dpkg-dev and lintian when missing, then
# runs `make deb`. This machine's own libpmem is never touched.
test-deb: deps all
	MAKE="$(MAKE)" bash tests/deb/run.sh

bench: all
	bash bench/run.sh

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
