#!/usr/bin/env bash
# Sourced by ./flock: exports JAVA_HOME pointing at a JDK >= 21, or exits with a clear message.
# Order: JAVA_HOME when it is >= 21, else the newest JDK >= 21 under /usr/lib/jvm.

flock_java_major() { # $1 = a JDK home; prints its feature version, or nothing
  local release="$1/release" v
  [ -x "$1/bin/javac" ] || return 0
  if [ -f "$release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
  else
    v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  fi
  printf '%s' "$v"
}

flock_find_jdk() {
  local best="" best_v=0 d v
  if [ -n "${JAVA_HOME:-}" ]; then
    v=$(flock_java_major "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge 21 ]; then printf '%s' "$JAVA_HOME"; return 0; fi
  fi
  for d in /usr/lib/jvm/*; do
    [ -d "$d" ] && [ ! -L "$d" ] || continue
    v=$(flock_java_major "$d")
    if [ -n "$v" ] && [ "$v" -ge 21 ] && [ "$v" -gt "$best_v" ]; then best="$d"; best_v="$v"; fi
  done
  [ -n "$best" ] && printf '%s' "$best"
}

FLOCK_JDK=$(flock_find_jdk)
if [ -z "$FLOCK_JDK" ]; then
  echo "flock: no JDK 21 or newer found (JAVA_HOME=${JAVA_HOME:-unset}, nothing suitable in /usr/lib/jvm)." >&2
  echo "flock: install one (for example a Temurin 21+ JDK) or point JAVA_HOME at it." >&2
  exit 3
fi
export JAVA_HOME="$FLOCK_JDK"
export PATH="$JAVA_HOME/bin:$PATH"
