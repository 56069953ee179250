#!/usr/bin/env bash
# Refresh the JavaScript the HTML book loads, so pages render maths and widgets with no network.
# Fetches fixed versions from the npm registry with `npm pack` and keeps only the files the pages use.
# The result lives in book/_vendor/ (committed; copied to the site root by html_extra_path).
set -euo pipefail
MATHJAX=mathjax@3.2.2
WIDGETS=@jupyter-widgets/html-manager@1.0.15
REQUIREJS=requirejs@2.3.8

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/book/_vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
for spec in "$MATHJAX" "$WIDGETS" "$REQUIREJS"; do
  tarball=$(npm pack --silent "$spec" | tail -n 1)
  dir="${tarball%.tgz}"
  mkdir -p "$dir"
  tar xzf "$tarball" -C "$dir"
done

rm -rf "$out"
fonts="$out/@jupyter-widgets/html-manager/dist"   # where the manager asks for its icon fonts
mkdir -p "$out/mathjax/output/chtml/fonts" "$out/widgets" "$out/requirejs" "$fonts"
mj=mathjax-3.2.2/package/es5
cp "$mj/tex-mml-chtml.js" "$out/mathjax/"
cp -r "$mj/output/chtml/fonts/woff-v2" "$out/mathjax/output/chtml/fonts/"
mkdir -p "$out/mathjax/input/tex"
cp -r "$mj/input/tex/extensions" "$out/mathjax/input/tex/"   # loaded on demand (\\require, autoload)
cp -r "$mj/ui" "$mj/a11y" "$out/mathjax/"                   # menu and assistive MathML
cp mathjax-3.2.2/package/LICENSE "$out/mathjax/LICENSE"
hm=jupyter-widgets-html-manager-1.0.15/package/dist
cp "$hm/embed-amd.js" "$out/widgets/"
cp "$hm"/*.woff2 "$hm"/*.woff "$hm"/*.ttf "$fonts/"
cp requirejs-2.3.8/package/require.js "$out/requirejs/"
cat > "$out/mathjax/VENDORED.txt" <<TXT
Vendored by .ci/vendor_js.sh from the npm registry:
$MATHJAX  (es5/tex-mml-chtml.js, its fonts and lazily loaded components; Apache-2.0)
$WIDGETS  (dist/embed-amd.js and its icon fonts; BSD-3-Clause)
$REQUIREJS  (require.js; MIT)
TXT
du -sh "$out"
