# What kind of run a folder holds, read from its manifest; sourced by the scripts that walk models/.
is_ensemble() { grep -qs '"variant":[[:space:]]*"ensemble"' "$1/manifest.json"; }  # several models
is_ae() { grep -qs '"objective":[[:space:]]*"reconstruction"' "$1/manifest.json"; }  # an autoencoder
