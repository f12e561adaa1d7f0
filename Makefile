# ecgbench build. `make` builds build/release/ecgbench and the backend libraries;
# `make test` builds and runs every test under AddressSanitizer + UBSan, the PyTorch peer check
# (tests/peer_check.sh) and the make bench pipeline end to end (tests/e2e_bench.sh), and closes
# with "N passed, M failed, K skipped";
# `make bench` measures and reports (scripts/bench.sh). All of them first install the Debian
# packages that are missing (scripts/deps.sh --ensure: as root or through sudo -n); `make deps`
# does only that.

CC      ?= gcc
CXX     ?= g++
CLANG   ?= clang
BUILD   ?= build
QUICK   ?=
FUZZ_SECONDS ?= 60

# Names are bounded (ECG_NAME_LEN) and truncation is checked where it matters.
WARN    := -Wall -Wextra -Werror -Wno-format-truncation
CSTD    := -std=c11 -D_GNU_SOURCE
# GCC 12 at -O2 only vectorises loops whose trip count it can prove (the "very cheap" model);
# the kernels loop over channel counts known at run time, and the dynamic model makes them
# 1.7x faster (training efficientecg-s: 287 -> 480 examples/s on one core).
OPT     ?= -O2 -march=native -fvect-cost-model=dynamic
# OpenBLAS (the training kernels' matrix products): its pthread build, by directory, whatever
# build the libopenblas.so alternative points at (ops/gemm.c says why).
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
BLAS_INC  := /usr/include/$(MULTIARCH)/openblas-pthread
BLAS_LIB  := /usr/lib/$(MULTIARCH)/openblas-pthread
# Every object's header dependencies, written by the compiler beside it (OBJ.d, included at the
# end): touching one header rebuilds only the objects that include it. -MP adds an empty rule per
# header, so a deleted or moved header does not stop the build.
DEPFLAGS := -MMD -MP
CFLAGS_COMMON := $(CSTD) $(WARN) -g -fPIC -I. -I$(BLAS_INC) $(DEPFLAGS)
LIBS    := -lXNNPACK -lpthreadpool -lcjson -lcsv -lsamplerate -lmatio -lliquid -lprotobuf-c -lnettle \
           -L$(BLAS_LIB) -Wl,-rpath,$(BLAS_LIB) -lopenblas -lgsl -lm -lpthread
BENCH_LIBS := -lbenchmark -lstdc++

# Build lines print one short line each; V=1 shows the full commands.
Q       = $(if $(V),,@)

# float-cast-overflow: GCC leaves it out of "undefined" (a double -> integer cast of 1e400 or 3e38
# is undefined behaviour, and was in the readers).
SAN     := -O1 -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer

# Data-parallel training over MPI (`mpirun -np N ecgbench-mpi train ...`): a binary of its own, built
# only where Open MPI's mpicc is found, so that ecgbench, libecgbench and the tests neither link nor
# need MPI (cli/mpi_main.c says why). Its two sources stay out of the library and of libecgcli.
MPI_SRC  := train/mpi_comm.c cli/mpi_main.c
MPICC    ?= mpicc
HAVE_MPI := $(shell command -v $(MPICC) >/dev/null 2>&1 && echo 1)
MPI_CFLAGS = $(if $(HAVE_MPI),$(shell $(MPICC) --showme:compile))
MPI_LIBS   = $(if $(HAVE_MPI),$(shell $(MPICC) --showme:link))

# Library sources: every folder of the backend and the suite (docs/architecture.md: the layers).
# The command line (cli/: main.c and one file per command) is not part of libecgbench; the
# ecgbench binary links it with the library, the tests (which call commands) link it as libecgcli.a.
LIB_DIRS := ops models baselines train compress datasets runs bench report
LIB_SRC  := $(filter-out $(MPI_SRC),$(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
CLI_SRC  := $(filter-out $(MPI_SRC),$(wildcard cli/*.c))
CXX_SRC  := $(wildcard bench/*.cc)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_LIB := tests/harness.c
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

REL := $(BUILD)/release
ASN := $(BUILD)/asan
FZ  := $(BUILD)/fuzz

REL_OBJ := $(LIB_SRC:%.c=$(REL)/%.o) $(CXX_SRC:%.cc=$(REL)/%.o)
ASN_OBJ := $(LIB_SRC:%.c=$(ASN)/%.o) $(CXX_SRC:%.cc=$(ASN)/%.o) $(TEST_LIB:%.c=$(ASN)/%.o)

# ONNX export (export/): the protobuf-c structs are generated at build time by protoc-c
# (protobuf-c-compiler) from the onnx.proto of Debian's python3-onnx, into $(BUILD)/gen (not committed).
ONNX_PROTO := /usr/lib/python3/dist-packages/onnx/onnx.proto
GEN        := $(BUILD)/gen
EXPORT_SRC := $(wildcard export/*.c)
REL_OBJ    += $(EXPORT_SRC:%.c=$(REL)/%.o) $(REL)/gen/onnx.pb-c.o
ASN_OBJ    += $(EXPORT_SRC:%.c=$(ASN)/%.o) $(ASN)/gen/onnx.pb-c.o
REL_CLI := $(CLI_SRC:%.c=$(REL)/%.o)
ASN_CLI := $(CLI_SRC:%.c=$(ASN)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(ASN)/tests/%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(FZ)/%)

# Recorded with every run's results (bench/run_info.c reads these).
# Only bench/run_info.c sees them, and it is rebuilt every time so they are never stale.
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
INFO_DEFS = -DECG_GIT_COMMIT='"$(GIT_COMMIT)"' -DECG_CC='"$(shell $(CC) --version | head -n1)"'

.PHONY: all install deps check-deps test bench bench-stability fuzz fuzz-run fuzz-seeds clean lib data train select compress peer-check FORCE
# Keep the test objects make would otherwise delete as intermediates (and rebuild every time).
# Every compile waits for check-deps (order-only `| check-deps`), so that under -j the missing
# packages are installed before the first compiler runs.
.SECONDARY:
all: check-deps $(REL)/ecgbench $(REL)/libecgbench.a $(REL)/libecgbench.so $(if $(HAVE_MPI),$(REL)/ecgbench-mpi)

deps:
	@scripts/deps.sh --install

check-deps:
	@scripts/deps.sh --ensure

# Full data sets into data/ (gitignored): `make data ECG_DATA_MIRROR=dir` copies a local mirror
# (CI: ../shared/data), plain `make data` downloads from PhysioNet. See scripts/data.sh.
data:
	@ECG_DATA_MIRROR=$(ECG_DATA_MIRROR) scripts/data.sh data

# Regenerates the committed weights under models/weights/ (needs `make data`; hours on 2 cores).
# ONLY=regex picks runs by MODEL-TASK, FORCE=1 retrains finished ones, SEEDS=N trains seeds 1..N. See scripts/train.sh.
# SLURM=1 submits instead: a job array (one task per run and seed) and a merge job (docs/slurm.md);
# sbatch from the PATH or SBATCH=cmd; SBATCH_OPTS, JOBDIR, REPORT_OPTS as docs/slurm.md says.
SLURM   ?=
SLURM_ON = $(filter-out 0,$(SLURM))
TRAIN_SH = $(if $(SLURM_ON),scripts/slurm/submit.sh $(1),scripts/$(1).sh)
train: all
	@ONLY='$(ONLY)' FORCE=$(FORCE) SEEDS=$(SEEDS) $(call TRAIN_SH,train) $(REL)/ecgbench

# The blind recipe choice (scripts/select.sh): candidates trained on validation data alone, the
# winner promoted to models/weights/ with its selection log, its test split scored once. ONLY=regex;
# SEEDS=N compares every candidate over seeds 1..N (their mean validation score) and promotes the winner's seeds too;
# FOLDS=K ranks them by K record-wise cross-validation folds of the training data instead (mitdb-aami tasks).
# OFFSETS=1 then fits decision offsets on the winner's folds (or each seed's validation split) and,
# where held-out folds say they help, derives RUN-offsets from the promoted seeds. ENSEMBLE=1 (with
# FOLDS and SEEDS; or ENSEMBLE="4 5 6", those seeds) trains the promoted recipe's seeds on the folds
# and judges their ensemble there (ENSEMBLE_CLASSES=N,S,V: by the mean F1 of those classes).
select: all
	@ONLY='$(ONLY)' FORCE=$(FORCE) SEEDS=$(SEEDS) FOLDS='$(FOLDS)' OFFSETS=$(OFFSETS) ENSEMBLE='$(ENSEMBLE)' \
	  ENSEMBLE_CLASSES='$(ENSEMBLE_CLASSES)' scripts/select.sh $(REL)/ecgbench

# Regenerates the compressed variants under models/compressed/ from the committed weights (needs
# `make data`). ONLY=regex, FORCE=1 as for train. See scripts/compress.sh.
compress: all
	@ONLY='$(ONLY)' FORCE=$(FORCE) $(call TRAIN_SH,compress) $(REL)/ecgbench

lib: $(REL)/libecgbench.a $(REL)/libecgbench.so

# `make install PREFIX=~/.local` puts ecgbench on PATH (PREFIX/bin) and the library in PREFIX/lib.
PREFIX  ?= /usr/local
install: all
	install -d '$(PREFIX)/bin' '$(PREFIX)/lib'
	install -m 755 $(REL)/ecgbench '$(PREFIX)/bin/ecgbench'
	install -m 644 $(REL)/libecgbench.a $(REL)/libecgbench.so '$(PREFIX)/lib/'
	$(if $(HAVE_MPI),install -m 755 $(REL)/ecgbench-mpi '$(PREFIX)/bin/ecgbench-mpi')

$(REL)/%.o: %.c | check-deps
	@mkdir -p $(dir $@)
	$(Q)echo "  CC      $@"; $(CC) $(CFLAGS_COMMON) $(OPT) -c $< -o $@
$(REL)/bench/run_info.o: bench/run_info.c FORCE | check-deps
	@mkdir -p $(dir $@)
	$(Q)echo "  CC      $@"; $(CC) $(CFLAGS_COMMON) $(OPT) $(INFO_DEFS) -DECG_CFLAGS='"$(OPT)"' -c $< -o $@
$(REL)/%.o: %.cc | check-deps
	@mkdir -p $(dir $@)
	$(Q)echo "  CXX     $@"; $(CXX) -std=c++17 $(WARN) $(DEPFLAGS) -g -fPIC -I. $(OPT) -c $< -o $@
$(REL)/libecgbench.a: $(REL_OBJ)
	$(Q)echo "  AR      $@"; rm -f $@; ar rcs $@ $^
$(REL)/libecgbench.so: $(REL_OBJ)
	$(Q)echo "  LINK    $@"; $(CXX) -shared -o $@ $^ $(LIBS) $(BENCH_LIBS)
$(REL)/ecgbench: $(REL_CLI) $(REL)/libecgbench.a
	$(Q)echo "  LINK    $@"; $(CXX) -o $@ $^ $(LIBS) $(BENCH_LIBS)

$(MPI_SRC:%.c=$(REL)/%.o): CFLAGS_COMMON += $(MPI_CFLAGS)
$(REL)/ecgbench-mpi: $(MPI_SRC:%.c=$(REL)/%.o) $(filter-out %/main.o,$(REL_CLI)) $(REL)/libecgbench.a
	$(Q)echo "  LINK    $@"; $(CXX) -o $@ $^ $(LIBS) $(BENCH_LIBS) $(MPI_LIBS)

$(GEN)/onnx.pb-c.c $(GEN)/onnx.pb-c.h &: $(ONNX_PROTO) | check-deps
	@mkdir -p $(GEN)
	$(Q)echo "  PROTOC  $(GEN)/onnx.pb-c.c"; cp $(ONNX_PROTO) $(GEN)/onnx.proto && cd $(GEN) && protoc-c --c_out=. onnx.proto
# what includes the generated header: export/ and its tests
ONNX_OBJ   := $(EXPORT_SRC:%.c=$(REL)/%.o) $(EXPORT_SRC:%.c=$(ASN)/%.o) $(patsubst %.c,$(ASN)/%.o,$(wildcard tests/test_onnx*.c))
$(ONNX_OBJ): CFLAGS_COMMON += -I$(GEN)
$(ONNX_OBJ): $(GEN)/onnx.pb-c.h
$(REL)/gen/onnx.pb-c.o: $(GEN)/onnx.pb-c.c
	@mkdir -p $(dir $@)
	$(Q)echo "  CC      $@"; $(CC) $(CFLAGS_COMMON) -I$(GEN) $(OPT) -c $< -o $@
$(ASN)/gen/onnx.pb-c.o: $(GEN)/onnx.pb-c.c
	@mkdir -p $(dir $@)
	$(Q)echo "  CC      $@"; $(CC) $(CFLAGS_COMMON) -I$(GEN) $(SAN) -c $< -o $@

# Sanitized build for the tests.
$(ASN)/%.o: %.c | check-deps
	@mkdir -p $(dir $@)
	$(Q)echo "  CC      $@"; $(CC) $(CFLAGS_COMMON) $(SAN) -c $< -o $@
$(ASN)/bench/run_info.o: bench/run_info.c FORCE | check-deps
	@mkdir -p $(dir $@)
	$(Q)echo "  CC      $@"; $(CC) $(CFLAGS_COMMON) $(SAN) $(INFO_DEFS) -DECG_CFLAGS='"$(SAN)"' -c $< -o $@
$(ASN)/%.o: %.cc | check-deps
	@mkdir -p $(dir $@)
	$(Q)echo "  CXX     $@"; $(CXX) -std=c++17 $(WARN) $(DEPFLAGS) -g -I. $(SAN) -c $< -o $@
$(ASN)/libecgbench.a: $(filter-out $(ASN)/tests/%,$(ASN_OBJ))
	$(Q)echo "  AR      $@"; rm -f $@; ar rcs $@ $^
$(ASN)/libecgcli.a: $(filter-out %/main.o,$(ASN_CLI))
	$(Q)echo "  AR      $@"; rm -f $@; ar rcs $@ $^
$(ASN)/tests/%: $(ASN)/tests/%.o $(ASN)/tests/harness.o $(ASN)/libecgcli.a $(ASN)/libecgbench.a
	$(Q)echo "  LINK    $@"; $(CXX) $(SAN) -o $@ $^ $(LIBS) $(BENCH_LIBS)
$(ASN)/ecgbench: $(ASN_CLI) $(ASN)/libecgbench.a
	$(Q)echo "  LINK    $@"; $(CXX) $(SAN) -o $@ $^ $(LIBS) $(BENCH_LIBS)

# The PyTorch peer (bench/peers/): torch.nn ports of every model against `ecgbench predict`.
# torch is optional (python3-torch, not in scripts/deps.sh): the first python3 that has it.
PEER_PY = for p in python3 /usr/bin/python3; do $$p -c 'import torch' 2>/dev/null && { echo $$p; break; }; done

# Each program closes with "RESULT N passed, M failed, K skipped"; tests/run.sh sums them. The peer
# check counts as one test (skipped without torch), the e2e as two (make bench with and without
# the peer, on the sample). ECG_PEER=off skips both peer parts. tests/onnx_check.sh: every run's
# ONNX export through onnx.checker and ONNX Runtime (npm, into BUILD/onnxruntime), one test per run.
# tests/slurm_check.sh: a training sweep as a Slurm job array on a one-node cluster it starts and
# stops (docs/slurm.md; skipped without slurm-wlm and munge).
# tests/mpi_check.sh: 2-rank MPI training against 2 threads, byte for byte (skipped without Open MPI).
# tests/train_script.sh: make train's script on the sample, a row naming another run's folder (@RUN).
# tests/compress_script.sh: make compress's script on the sample, a variant redone once its source is retrained.
# tests/run.sh: the programs that start threads of their own (release evals, make bench, training,
# MPI, Slurm) one at a time, slowest first; then the one-thread sanitized unit tests as many at a
# time as there are cores (two side by side; see tests/run.sh).
THREADED_TESTS := $(ASN)/tests/test_weights tests/e2e_bench.sh $(ASN)/tests/test_run_folders tests/readme_commands.sh \
                  tests/onnx_check.sh tests/slurm_check.sh tests/peer_check.sh tests/mpi_check.sh tests/train_script.sh \
                  tests/select_script.sh tests/compress_script.sh tests/include_check.sh
TEST_PROGRAMS  := --jobs 1 $(THREADED_TESTS) --jobs auto $(filter-out $(THREADED_TESTS),$(TEST_BIN))
test: check-deps $(TEST_BIN) $(ASN)/ecgbench $(REL)/ecgbench $(if $(HAVE_MPI),$(REL)/ecgbench-mpi)
	@ECGBENCH=$(abspath $(ASN)/ecgbench) ECGBENCH_RELEASE=$(abspath $(REL)/ecgbench) \
	  ECGBENCH_MPI=$(if $(HAVE_MPI),$(abspath $(REL)/ecgbench-mpi)) \
	  tests/run.sh $(TEST_PROGRAMS)

peer-check: check-deps $(REL)/ecgbench
	@py=$$($(PEER_PY)); [ -n "$$py" ] || { echo "peer-check: python3-torch is not installed (apt-get install python3-torch python3-numpy)"; exit 1; }; \
	$$py bench/peers/check_logits.py --ecgbench $(REL)/ecgbench

# Benchmarks: Google Benchmark through the C shim, CSV, plots (scripts/bench.sh says what each
# step does). The data: the full sets in DATA=dir, $ECG_DATA_DIR or data/ (make data), else the
# bundled sample, announced. QUICK=1 shortens the timing only; ECG_PEER=off skips the PyTorch peer;
# OUT=dir writes elsewhere than reports/out. SLURM=1: one job per node (BENCH_NODES), then one
# ecgbench compare table (docs/slurm.md).
# FULL=1 first retrains every committed run (make train FORCE=1) and redoes every compressed
# variant (make compress FORCE=1) from the full data: hours.
FULL    ?=
DATA    ?=
bench: all
ifneq ($(SLURM_ON),)
	@if [ -n "$(FULL)" ] && [ "$(FULL)" != 0 ]; then \
	  echo "bench: FULL=1 and SLURM=1: submit make train SLURM=1 FORCE=1 and make compress SLURM=1 FORCE=1 first" >&2; exit 2; fi
	@QUICK=$(QUICK) DATA='$(DATA)' scripts/slurm/submit.sh bench $(REL)/ecgbench
else
	@if [ -n "$(FULL)" ] && [ "$(FULL)" != 0 ]; then \
	  FORCE=1 scripts/train.sh $(REL)/ecgbench && FORCE=1 scripts/compress.sh $(REL)/ecgbench || exit 1; fi
	@QUICK=$(QUICK) DATA='$(DATA)' scripts/bench.sh $(REL)/ecgbench
endif

# Two back-to-back QUICK latency runs; fails when a batch-1, 1-thread median moves by > TOL% (15).
bench-stability: all
	@bench/stability.sh $(REL)/ecgbench

# libFuzzer targets: `make fuzz` builds, `make fuzz-run` runs each for FUZZ_SECONDS. Besides
# clang's "undefined" (float-cast-overflow included), its integer checks that fit: implicit-conversion
# (a value changed by an implicit truncation or sign change). unsigned-integer-overflow is left
# out: the hashes and the WFDB checksums wrap on purpose.
FUZZ_SAN := -fsanitize=address,undefined,implicit-conversion -fno-sanitize-recover=all
FUZZ_CC   = $(CLANG) $(CSTD) $(WARN) -Wno-unknown-warning-option -g -O1 -I. -I$(BLAS_INC)
# The suite's C sources, and the commands but main.c (fuzz_csv drives ecgbench compare), are
# compiled once for every target (instrumented, fuzzer-no-link) into one archive; a target links
# only the objects it uses.
FUZZ_LIB_SRC := $(LIB_SRC) $(filter-out cli/main.c,$(CLI_SRC))
$(FZ)/obj/%.o: %.c | check-deps
	@mkdir -p $(dir $@)
	$(Q)echo "  CC      $@"; $(FUZZ_CC) -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(DEPFLAGS) -c $< -o $@
$(FZ)/libecgbench.a: $(FUZZ_LIB_SRC:%.c=$(FZ)/obj/%.o)
	$(Q)echo "  AR      $@"; rm -f $@; ar rcs $@ $^
$(FZ)/%: tests/fuzz/%.c $(FZ)/libecgbench.a | check-deps
	@mkdir -p $(dir $@)
	$(Q)echo "  FUZZ    $@"; $(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -MMD -MP -MF $@.d -o $@ $< $(FZ)/libecgbench.a $(LIBS)
fuzz: check-deps $(FUZZ_BIN)
# Every target runs its FUZZ_SECONDS even when an earlier one crashed; the summary names each, and
# the exit status is non-zero when any crashed (its reproducer is in $(FZ)/crash-*).
fuzz-run: fuzz
	@bad=; for f in $(FUZZ_BIN); do \
	  n=$$(basename $$f); mkdir -p $(FZ)/corpus/$$n; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -artifact_prefix=$(FZ)/crash-$$n- \
	    $(FZ)/corpus/$$n tests/fuzz/seeds/$$n >$(FZ)/$$n.log 2>&1; \
	  rc=$$?; tail -n 8 $(FZ)/$$n.log; \
	  if [ $$rc -eq 0 ]; then echo "fuzz: $$n clean"; else echo "fuzz: $$n FAILED (rc $$rc), log in $(FZ)/$$n.log"; bad="$$bad $$n"; fi; \
	done; \
	if [ -n "$$bad" ]; then echo "fuzz-run: crashed:$$bad"; exit 1; fi; echo "fuzz-run: $(words $(FUZZ_BIN)) targets clean, $(FUZZ_SECONDS) s each"
# The seed corpora regenerated from real files (tests/fuzz/gen_seeds.sh says which).
fuzz-seeds: check-deps
	@BUILD=$(BUILD) tests/fuzz/gen_seeds.sh

clean:
	rm -rf $(BUILD)

# The header dependencies the compiler wrote (none before the first build).
-include $(wildcard $(REL_OBJ:.o=.d) $(ASN_OBJ:.o=.d) $(REL_CLI:.o=.d) $(MPI_SRC:%.c=$(REL)/%.d) $(ASN_CLI:.o=.d) $(TEST_BIN:=.d) $(FUZZ_LIB_SRC:%.c=$(FZ)/obj/%.d) \
  $(FUZZ_BIN:=.d))
