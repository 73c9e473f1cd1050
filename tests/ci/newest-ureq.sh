#!/usr/bin/env bash
# Tries halchemy with the newest ureq 3.x. Cargo.toml pins `~3.5.2` because the agent uses
# ureq's `unversioned` resolver API (src/resolver.rs), which a minor release may change; this
# script shows whether the next one still works. It copies the repository to a temporary
# folder (the work tree is not touched), relaxes the requirement to "3", runs
# `cargo update -p ureq` and `cargo test --lib`, and prints the ureq version it used.
# The exit status is the build's and the tests'. Set CARGO_TARGET_DIR to reuse a build folder.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

tar -C "$repo" --exclude=./target --exclude=./.git -cf - . | tar -C "$tmp" -xf -
cd "$tmp"

sed -i 's/^ureq = { version = "~3\.5\.2"/ureq = { version = "3"/' Cargo.toml
if ! grep -q '^ureq = { version = "3",' Cargo.toml; then
  echo "newest-ureq: cannot find the ureq requirement in Cargo.toml; update this script" >&2
  exit 2
fi

# The newest 3.x even when it asks for a newer Rust than rust-version (the test then says so).
CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=allow cargo update -p ureq
version="$(cargo pkgid -p ureq | sed 's/.*[@#]//')"
echo "newest-ureq: testing halchemy with ureq $version"
if cargo test --lib; then
  echo "newest-ureq: halchemy's library tests pass with ureq $version"
else
  echo "newest-ureq: halchemy's library tests FAIL with ureq $version" >&2
  exit 1
fi
