#!/usr/bin/env bash
# Gradescope setup: runs once when the autograder image is built (as root, in /autograder/source).
# Installs a Node able to run npm, then `npm ci`, which brings the course's Node 24 (the `node`
# devDependency) and the grader's packages (sucrase, chai, @vitest/expect, ses, esbuild). No browser needed.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# At the zip's root (Gradescope: /autograder/source/setup.sh) or in the repo's autograder/.
if [ -f "$HERE/autograder/run.ts" ]; then SOURCE="$HERE"; else SOURCE="$(cd "$HERE/.." && pwd)"; fi
cd "$SOURCE"

need_node() {
  if ! command -v node >/dev/null 2>&1; then return 0; fi
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  [ "$major" -lt 20 ]
}

if need_node; then
  apt-get update
  apt-get install -y --no-install-recommends ca-certificates curl xz-utils
  # Official Node 24 build (only to run npm; the grader then uses node_modules/.bin/node).
  NODE_DIST="${NODE_DIST:-https://nodejs.org/dist/latest-v24.x}"
  TARBALL="$(curl -fsSL "$NODE_DIST/SHASUMS256.txt" | awk '/linux-x64.tar.xz$/ {print $2; exit}')"
  curl -fsSL "$NODE_DIST/$TARBALL" -o "/tmp/$TARBALL"
  (cd /tmp && curl -fsSL "$NODE_DIST/SHASUMS256.txt" | grep " $TARBALL\$" | sha256sum -c -)
  mkdir -p /opt/node
  tar -xJf "/tmp/$TARBALL" -C /opt/node --strip-components=1
  ln -sf /opt/node/bin/node /usr/local/bin/node
  ln -sf /opt/node/bin/npm /usr/local/bin/npm
  ln -sf /opt/node/bin/npx /usr/local/bin/npx
fi

npm ci --no-audit --no-fund
chmod +x "$SOURCE/autograder/run_autograder"
# Gradescope runs /autograder/run_autograder.
if [ -d /autograder ] && [ -w /autograder ]; then cp "$SOURCE/autograder/run_autograder" /autograder/run_autograder; fi

# Build the sandboxed runner's bundle, its V8 code cache and each exercise's trusted test list now,
# so no submission pays for it (src/grading/node/bundle.ts; nothing prebuilt is shipped in the zip).
"$SOURCE/node_modules/.bin/node" "$SOURCE/src/cli/grade.ts" --prepare

# Smoke test: the reference solutions must pass in this image.
for dir in "$SOURCE"/exercises/*/; do
  id="$(basename "$dir")"
  [ -f "$dir/exercise.json" ] || continue
  "$SOURCE/node_modules/.bin/node" "$SOURCE/src/cli/grade.ts" "$id" "$dir/solution.ts" --format json >/dev/null \
    || { echo "setup.sh: reference solution for $id does not pass" >&2; exit 1; }
done
echo "setup.sh: ok ($("$SOURCE/node_modules/.bin/node" --version))"
