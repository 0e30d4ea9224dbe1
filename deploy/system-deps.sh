#!/usr/bin/env bash
# Debian packages the tests need, installed only if missing: Java 17 and Maven fetch and run
# Apache Kafka (deploy/brokers.py); Prometheus (and promtool) for the scrape test and the
# alert-rule unit tests; Alertmanager (and amtool) for the alert-path test. (The Dockerfile
# linter, hadolint, comes from PyPI with the test extra.) Used by `make test` and .ci/run.
set -euo pipefail
need=()
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need+=(maven)
{ command -v prometheus >/dev/null && command -v promtool >/dev/null; } || need+=(prometheus)
{ command -v prometheus-alertmanager >/dev/null && command -v amtool >/dev/null; } ||
  need+=(prometheus-alertmanager)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "installing ${need[*]} (apt-get)"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
