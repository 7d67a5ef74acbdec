# Sourced by the scripts after scripts/deps.sh: puts first on PATH the Node.js 22 that
# deps.sh installed under target/node22 when the machine's node is older (oidc-provider 9
# supports Node.js 22 and later). Without it, PATH is left as it is.
for _bin in "$PWD"/target/node22/node_modules/node-linux-*/bin; do
  if [ -x "$_bin/node" ]; then export PATH="$_bin:$PATH"; fi
done
unset _bin
