#!/usr/bin/env bash
# Puts the npm packages the web view bundles into this folder as npm serves them: @dagrejs/dagre's tarball as dagre.tgz,
# at the version package-lock.json pins, checked against the lock's integrity hash. Needs node and npm; building Loom
# does not (the tarball is committed). To move to another version: edit package.json, then run this script.
# tests/Loom.Web.Tests checks that dagre.tgz still matches the lock.
set -euo pipefail
cd "$(dirname "$0")"
npm install --package-lock-only --ignore-scripts >/dev/null
read -r version integrity < <(node -p "const p = require('./package-lock.json').packages['node_modules/@dagrejs/dagre']; p.version + ' ' + p.integrity")
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "@dagrejs/dagre@$version" --silent >/dev/null)
tarball="$(ls "$work"/*.tgz)"
actual="$(node -e "const c = require('crypto'); process.stdout.write('sha512-' + c.createHash('sha512').update(require('fs').readFileSync(process.argv[1])).digest('base64'))" "$tarball")"
if [ "$actual" != "$integrity" ]; then
  echo "refresh.sh: the tarball npm gave ($actual) does not match package-lock.json ($integrity)" >&2
  exit 1
fi
cp "$tarball" dagre.tgz
echo "dagre.tgz is @dagrejs/dagre $version ($integrity)"
