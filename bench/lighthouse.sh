#!/usr/bin/env bash
# Lighthouse (mobile emulation, its defaults) on the campaign list and the seed
# campaign's page, served as in production: gunicorn, DEBUG off, WhiteNoise's
# hashed and compressed files after collectstatic, the demo data in a throwaway
# SQLite database. Prints the four category scores of each page; the goal is at
# least 95 in each. Not part of the test suite (it needs npm's registry once).
#
#   bench/lighthouse.sh              # about a minute, after `make install`
#
# Lighthouse is pinned to 12.2.3 (13.x needs Node 22) and installed once into
# $LIGHTHOUSE_DIR; Debian's Chromium runs it (apt-get install chromium).
# Reports (HTML and JSON) go to bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."

LIGHTHOUSE_VERSION=12.2.3
LIGHTHOUSE_DIR=${LIGHTHOUSE_DIR:-/tmp/zbor-lighthouse}
# A free port, unless one is given (another server may hold a usual one).
PORT=${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
PYTHON=.venv/bin/python
OUT=bench/out
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}

if [ ! -x "$CHROME_PATH" ]; then
  echo "Chromium not found at $CHROME_PATH (apt-get install chromium)." >&2
  exit 1
fi
lighthouse="$LIGHTHOUSE_DIR/node_modules/.bin/lighthouse"
if [ ! -x "$lighthouse" ] || ! "$lighthouse" --version | grep -qx "$LIGHTHOUSE_VERSION"; then
  echo "== installing lighthouse@$LIGHTHOUSE_VERSION into $LIGHTHOUSE_DIR"
  npm install --prefix "$LIGHTHOUSE_DIR" --no-audit --no-fund --silent \
    "lighthouse@$LIGHTHOUSE_VERSION"
fi

work=$(mktemp -d /tmp/zbor-lighthouse-run.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

export DATABASE_URL="sqlite:///$work/db.sqlite3"
export MEDIA_ROOT="$work/media"
export STATIC_ROOT="$work/static"
export SECRET_KEY="lighthouse-run-only-$(date +%s)-not-a-real-secret-0123456789abcdef"
export ALLOWED_HOSTS=127.0.0.1,localhost
export SITE_URL="http://127.0.0.1:$PORT"
# Plain HTTP on loopback: no redirect to HTTPS (HSTS and secure cookies stay on).
export SECURE_SSL_REDIRECT=False
export REDIS_URL=""

echo "== demo data in a throwaway database"
# load_demo refuses to run without DEBUG (it creates known demo logins).
DEBUG=True $PYTHON manage.py migrate --verbosity 0
DEBUG=True $PYTHON manage.py load_demo > /dev/null
DEBUG=False $PYTHON manage.py collectstatic --noinput --verbosity 0

echo "== gunicorn on 127.0.0.1:$PORT (DEBUG off)"
DEBUG=False BIND="127.0.0.1:$PORT" .venv/bin/gunicorn config.wsgi \
  --access-logfile /dev/null --error-logfile "$work/gunicorn.log" > "$work/gunicorn.out" 2>&1 &
server_pid=$!
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null && break
  sleep 0.2
done
# Our gunicorn must be the one answering, not another server on that port.
if ! kill -0 "$server_pid" 2>/dev/null || ! curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null \
  || ! curl -fsI "http://127.0.0.1:$PORT/healthz" | grep -qi '^server: gunicorn'; then
  echo "gunicorn did not start on port $PORT:" >&2; cat "$work/gunicorn.log" >&2; exit 1
fi

mkdir -p "$OUT"
run_lighthouse() {  # name path
  "$lighthouse" "http://127.0.0.1:$PORT$2" --quiet \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run" \
    --output=json --output=html --output-path="$OUT/lighthouse-$1"
}
audit() {  # name path
  run_lighthouse "$1" "$2"
  # Chrome here now and then shows an interstitial on a first load: try again once.
  if grep -q '"runtimeError"' "$OUT/lighthouse-$1.report.json"; then
    run_lighthouse "$1" "$2"
  fi
  $PYTHON - "$OUT/lighthouse-$1.report.json" "$1" <<'EOF'
import json
import sys

report = json.load(open(sys.argv[1]))
if "runtimeError" in report:
    sys.exit(f"{sys.argv[2]}: {report['runtimeError']['message']}")
scores = {
    category["title"]: round(category["score"] * 100)
    for category in report["categories"].values()
}
print(f"{sys.argv[2]:<10} " + "  ".join(f"{k}: {v}" for k, v in scores.items()))
failing = [
    f"  - {audit['title']}"
    for audit in report["audits"].values()
    if audit.get("score") is not None
    and audit["score"] < 0.9
    and audit.get("scoreDisplayMode") == "binary"
]
print("\n".join(failing) if failing else "  (no failing audit)")
EOF
}

echo "== lighthouse $LIGHTHOUSE_VERSION, mobile"
audit list /
audit campaign /c/konstantin/
