#!/usr/bin/env bash
# Build the Gradescope autograder zip: setup.sh + run_autograder at the root, plus the parts of
# the course the grader needs (package files, src/engine, src/grading, src/cli/grade.ts + compile-cache.mjs,
# exercises/, autograder/). Usage: autograder/make-zip.sh [out.zip]  (default: autograder.zip)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$(realpath -m "${1:-autograder.zip}")"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cd "$REPO"
for p in package.json package-lock.json src/engine src/grading src/cli/grade.ts src/cli/compile-cache.mjs exercises autograder; do
  [ -e "$p" ] || { echo "make-zip: missing $p" >&2; exit 1; }
  mkdir -p "$STAGE/$(dirname "$p")"
  cp -R "$p" "$STAGE/$p"
done
rm -rf "$STAGE/autograder/autograder.zip"
cp autograder/setup.sh autograder/run_autograder "$STAGE/"
chmod +x "$STAGE/setup.sh" "$STAGE/run_autograder"
rm -f "$OUT"
if command -v zip >/dev/null 2>&1; then
  (cd "$STAGE" && zip -qr "$OUT" .)
else
  python3 - "$STAGE" "$OUT" <<'PY'
import os, sys, zipfile
stage, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
    for d, _, files in os.walk(stage):
        for f in files:
            p = os.path.join(d, f)
            info = zipfile.ZipInfo.from_file(p, os.path.relpath(p, stage))
            with open(p, 'rb') as fh:
                z.writestr(info, fh.read(), zipfile.ZIP_DEFLATED)
PY
fi
echo "wrote $OUT"
