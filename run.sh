#!/usr/bin/env bash
# The quickstart's two commands, each installing what it needs on a fresh Debian/Ubuntu machine:
#   ./run.sh                                          the main job: train, export, build, validate on QEMU
#   ./run.sh test [PYTEST ARGS]                       the test suite
# and more:
#   ./run.sh train [CONFIG] [section.key=value ...]   train (default configs/handposture.yaml)
#   ./run.sh hil ARGS                                 python -m hil ARGS (run, info, build, flash, boards, benchmark)
#   ./run.sh lock                                     re-resolve pyproject.toml's ranges into requirements.lock
# Anything else is passed to the package CLI: ./run.sh info configs/handposture.yaml
set -euo pipefail
cd "$(dirname "$0")"
VENV="${VENV:-.venv}"
SYSTEM_PACKAGES=(python3-venv gcc libc6-dev gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi
                 qemu-system-arm clang libclang-rt-14-dev ser2net socat)  # ser2net, socat: labgrid board farm

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_system_packages() {
  command -v dpkg-query >/dev/null || return 0  # not Debian/Ubuntu: install the equivalents by hand
  local missing=() package
  for package in "${SYSTEM_PACKAGES[@]}"; do
    # a pyenv or python.org python3 has venv built in; Debian's needs python3-venv
    if [ "$package" = python3-venv ] && python3 -c 'import ensurepip, venv' 2>/dev/null; then continue; fi
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing system packages: ${missing[*]}"
    as_root apt-get update -q
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

check_dependencies() {
  # pip check, less the two unmet requirements chosen on purpose: labgrid -> pyserial-labgrid (see below), and
  # tf-keras -> tensorflow (tf-keras, Keras 2, writes the tests' .h5 fixtures as ST saved its model; it runs on
  # tensorflow-cpu, the same TensorFlow under another distribution name, which its metadata does not accept)
  local report
  report="$("$VENV/bin/python" -m pip check 2>&1)" && return 0
  report="$(grep -v -e '^labgrid [0-9.]* requires pyserial-labgrid, which is not installed' \
                    -e '^tf-keras [0-9.]* requires tensorflow, which is not installed' <<<"$report" || true)"
  [ -z "$report" ] || { echo "$report"; return 1; }
}

ensure_venv() {
  local stamp="$VENV/.installed-$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)"
  [ -f "$stamp" ] && return 0
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  echo "installing Python dependencies into $VENV (first run: a few minutes; log: $VENV/install.log)"
  # pip check: the lock must satisfy every dependency the project declares (a missing pin fails here).
  # --no-deps: the lock is complete, and it leaves out pyserial-labgrid on purpose (labgrid's fork installs the
  # same `serial` package as pyserial; the harness uses upstream pyserial 3.5, whose RFC2217 path it tests)
  if ! { "$VENV/bin/python" -m pip install --upgrade pip \
        && "$VENV/bin/python" -m pip install --no-deps -r requirements.lock \
        && "$VENV/bin/python" -m pip install --no-deps -e ".[dev]" \
        && check_dependencies; } \
      > "$VENV/install.log" 2>&1; then
    tail -n 30 "$VENV/install.log" >&2
    echo "pip install failed; full log: $VENV/install.log" >&2
    exit 1
  fi
  rm -f "$VENV"/.installed-* && touch "$stamp"
}

refresh_lock() {
  # a throw-away venv resolves the ranges anew; the lock records exactly what it got
  local tmp; tmp="$(mktemp -d)"
  python3 -m venv "$tmp/venv"
  "$tmp/venv/bin/python" -m pip install -q --upgrade pip
  "$tmp/venv/bin/python" -m pip install -q ".[dev]"
  # --all: wheel too (with --no-deps nothing else installs it); not pip (run.sh upgrades it), not the fork, not
  # the `tensorflow` distribution tf-keras pulls in (tensorflow-cpu is the same TensorFlow; see check_dependencies)
  { grep '^#' requirements.lock; "$tmp/venv/bin/python" -m pip freeze --all --exclude-editable \
      | grep -v -e '^tof-hil' -e '^pip==' -e '^pyserial-labgrid==' -e '^tensorflow=='; } \
    > requirements.lock.new && mv requirements.lock.new requirements.lock
  rm -rf "$tmp"
  echo "requirements.lock refreshed; run ./run.sh test before committing it"
}

# pytest on both cores: pytest-xdist, tests of one xdist_group on one worker (the full-dataset trainings, which
# take both cores themselves, run one after the other). TOFHIL_TEST_WORKERS=0 runs in one process.
pytest_workers() {
  local workers="${TOFHIL_TEST_WORKERS:-2}"
  # no worker restart: after a crashed worker, xdist's loadgroup scheduler gave the replacement nothing and the
  # run waited forever (seen once, 2026-12-08); a crash now ends the stage at once, naming the test
  if [ "$workers" != 0 ]; then echo "-n $workers --dist loadgroup --max-worker-restart 0"; fi
}

# One stage of the suite: its name, its wall time, its exit status kept for the end (every stage runs).
STAGE_TIMES=()
stage() {
  local name="$1" started status=0; shift
  echo "== $name"
  started=$(date +%s)
  "$@" || status=$?
  STAGE_TIMES+=("$(printf '%6ss  %s%s' "$(( $(date +%s) - started ))" "$name" "$([ $status = 0 ] || echo "  (failed: exit $status)")")")
  return $status
}

# The whole suite: the shared runs made once (tests/shared_runs.py: the shipped config trained on ST's dataset,
# exported, firmware built), tests/ on both cores with the 25 slowest tests printed, `pytest hil` on the
# host-native and the emulated board with that same run and the gates on, and last the check that no test wrote
# into a shared run. Every stage runs; any failure fails; the wall time of each stage is printed at the end.
full_suite() {
  local out="${TOFHIL_CI_DIR:-build/ci}" status=0 board run_dir started
  rm -rf "$out" && mkdir -p "$out"
  started=$(date +%s)
  stage "shared runs (python -m tests.shared_runs shipped)" shared_run_dir "$out/shipped_run_dir" || status=$?
  run_dir="$(cat "$out/shipped_run_dir" 2>/dev/null || true)"
  # shellcheck disable=SC2046
  stage "pytest tests" "$VENV/bin/python" -m pytest tests $(pytest_workers) --durations=25 \
    --junitxml "$out/tests.xml" || status=$?
  for board in host qemu-stm32f405; do
    stage "pytest hil --board $board" "$VENV/bin/python" -m pytest hil --board "$board" --run-dir "$run_dir" \
      --hil-output-dir "$out/hil-$board" --junitxml "$out/hil-$board.xml" || status=$?
  done
  stage "shared runs untouched" "$VENV/bin/python" -m pytest tests/after_suite/check_shared_runs.py \
    -p no:cacheprovider --junitxml "$out/after-suite.xml" || status=$?
  echo "== wall time per stage"
  printf '%s\n' "${STAGE_TIMES[@]}"
  printf '%6ss  all stages\n' "$(( $(date +%s) - started ))"
  "$VENV/bin/python" - "$out"/*.xml <<'PY'
import sys
import xml.etree.ElementTree as ET
totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
for path in sys.argv[1:]:
    for suite in ET.parse(path).getroot().iter("testsuite"):
        for key in totals:
            totals[key] += int(suite.get(key, 0))
failed = totals["failures"] + totals["errors"]
passed = totals["tests"] - failed - totals["skipped"]
print(f"all stages: {passed} passed, {failed} failed, {totals['skipped']} skipped")
PY
  return $status
}

shared_run_dir() {
  local into="$1" path
  path="$("$VENV/bin/python" -m tests.shared_runs shipped)" || return 1
  echo "$path" > "$into"
  echo "$path"
}

if [ "${1:-}" = lock ]; then refresh_lock; exit 0; fi
ensure_system_packages
ensure_venv
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"
command="${1:-main}"
shift || true
case "$command" in
  main)
    # the product end to end: train the shipped config, export (int8 + C + firmware), validate on the emulated
    # board with the gates on; the report's folder is the last line printed
    run_dir="experiments_outputs/quickstart_$(date +%Y_%m_%d_%H_%M_%S)"
    "$VENV/bin/python" -m training train configs/handposture.yaml --output-dir "$run_dir" "$@"
    "$VENV/bin/python" -m training export "$run_dir" --board qemu-stm32f405
    exec "$VENV/bin/python" -m hil run --board qemu-stm32f405 --run-dir "$run_dir" ;;
  train)
    config="configs/handposture.yaml"
    if [ $# -gt 0 ] && [[ "$1" == *.yaml || "$1" == *.yml ]]; then config="$1"; shift; fi
    exec "$VENV/bin/python" -m training train "$config" "$@" ;;
  test)
    # with arguments: plain pytest. Without: the whole suite as CI runs it (tests/, then the HIL suite on the
    # host-native and emulated boards with the shipped model trained once, gates on)
    # shellcheck disable=SC2046
    if [ $# -gt 0 ]; then exec "$VENV/bin/python" -m pytest $(pytest_workers) "$@"; fi
    full_suite ;;
  hil)
    exec "$VENV/bin/python" -m hil "$@" ;;
  *)
    exec "$VENV/bin/python" -m training "$command" "$@" ;;
esac
