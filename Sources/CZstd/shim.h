// libzstd (Debian package libzstd-dev): the streaming decompressor for tar+zstd layers.
#include <zstd.h>
