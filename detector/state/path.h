// Path arithmetic as Falco does it for fd.name and path arguments: a relative path is joined
// to its base (the cwd, or the directory of a dirfd) and "." / ".." / repeated slashes are
// folded, without touching the filesystem (symlinks are not followed).
#pragma once

#include <string>
#include <string_view>

namespace riposte::detector {

// Writes the normalized absolute form of `path` to *out (reusing its capacity). `base` must
// be absolute; it is ignored when `path` is absolute. An empty path gives "".
void normalize_path(std::string_view base, std::string_view path, std::string* out);

}  // namespace riposte::detector
