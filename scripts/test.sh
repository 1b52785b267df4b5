#!/usr/bin/env bash
# README command 2: install what the tests need, lint, and run every test (browser tests too).
# Exits non-zero if anything fails, if no test ran, or if the browser tests could not run.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

CHROMIUM=${LSTM_VIZ_CHROMIUM:-/usr/bin/chromium}
EMOJI_FONT=/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf

step() { printf '\n== %s\n' "$*"; }

# pip here may print one harmless "Location '...' is ignored" warning per package: drop those.
pip_install() {
    local log status=0
    log=$(mktemp)
    .venv/bin/python -m pip install --quiet "$@" >"$log" 2>&1 || status=$?
    grep -v "is ignored: it is neither a file nor a directory" "$log" || true
    rm -f "$log"
    return "$status"
}

step "Python environment (.venv)"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
pip_install -e . -r requirements-test.txt
.venv/bin/python -c "import torch, streamlit; print('torch', torch.__version__, '| streamlit', streamlit.__version__)"

step "Chromium, an emoji font and strace, for the browser and network tests"
if [ ! -x "$CHROMIUM" ] || [ ! -f "$EMOJI_FONT" ] || ! command -v strace >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installing chromium and fonts-noto-color-emoji with apt-get..."
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji strace \
            >/dev/null
    elif [ ! -x "$CHROMIUM" ]; then
        echo "Chromium is missing at $CHROMIUM, and the browser tests need it." >&2
        echo "Install it, then run this again:" >&2
        echo "    sudo apt-get install chromium fonts-noto-color-emoji" >&2
        echo "(or point LSTM_VIZ_CHROMIUM at another Chromium binary)" >&2
        exit 1
    else
        echo "Note: no emoji font; screenshots will show boxes for emoji." >&2
        echo "    sudo apt-get install fonts-noto-color-emoji" >&2
    fi
fi
"$CHROMIUM" --version 2>/dev/null

# Lint failures do not stop the tests: one run reports both, and either fails it.
step "Lint (ruff)"
lint=0
.venv/bin/ruff check . || lint=1
.venv/bin/ruff format --check . || lint=1

step "Tests (pytest)"
# Two workers (pytest-xdist), a test file each at a time: the browser tests mostly wait on the
# server and Chromium while the other worker computes. LSTM_VIZ_TEST_WORKERS=0 runs one process.
workers=${LSTM_VIZ_TEST_WORKERS:-2}
parallel=()
[ "$workers" = 0 ] || parallel=(-n "$workers" --dist loadfile)
tests=0
LSTM_VIZ_REQUIRE_BROWSER=1 LSTM_VIZ_CHROMIUM="$CHROMIUM" .venv/bin/python -m pytest \
    "${parallel[@]}" --durations=15 "$@" || tests=$?
if [ "$tests" = 5 ]; then
    echo "No tests were collected: that counts as a failure." >&2
fi

failed=""
[ "$lint" = 0 ] || failed="$failed ruff;"
[ "$tests" = 0 ] || failed="$failed pytest (exit $tests);"
if [ -z "$failed" ]; then
    printf '\n== PASSED in %ss\n' "$((SECONDS - start))"
else
    printf '\n== FAILED in %ss:%s\n' "$((SECONDS - start))" "$failed"
    exit 1
fi
