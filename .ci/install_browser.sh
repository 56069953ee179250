#!/usr/bin/env bash
# Install Debian's Chromium for the browser test of the built book, where that is possible.
# Without root (or apt-get) it says how to install it; the browser test then skips itself,
# unless NNLIB_REQUIRE_BROWSER=1 (set by CI), which turns that skip into a failure.
set -u
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser test (apt-get)..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    && exit 0
  echo "apt-get could not install chromium." >&2
else
  echo "Chromium is not installed and this user cannot apt-get it."
fi
echo "The browser test will be skipped. To run it: sudo apt-get install chromium"
exit 0
