#!/usr/bin/env bash
# The one entry point: sets up whatever is missing (libtorch, npm packages, native addon, TypeScript
# build), idempotently, then runs what was asked.
#   ./run.sh demo [options]      the demo (see README)
#   ./run.sh test [name-filter]  the whole test suite
#   ./run.sh bench <suite>       a benchmark against its peer (engine, ...)
#   ./run.sh cli <command> ...   any latentlens command
#   ./run.sh lint                ESLint (and Prettier's check) over src, test and bench
set -euo pipefail
cd "$(dirname "$0")"
what="${1:-}"
[ $# -gt 0 ] && shift
case "$what" in
  demo|test|bench|cli|lint|setup) ;;
  *) echo "usage: ./run.sh demo|test|bench|cli|lint|setup [args]" >&2; exit 2 ;;
esac
bash scripts/setup.sh
[ "$what" = bench ] && bash scripts/setup-peers.sh
case "$what" in
  demo)  exec node dist/src/cli/main.js demo "$@" ;;
  test)  exec node scripts/run-tests.mjs "$@" ;;
  bench) exec node dist/bench/main.js "$@" ;;
  cli)   exec node dist/src/cli/main.js "$@" ;;
  lint)  exec npm run -s lint ;;
  setup) ;;
esac
