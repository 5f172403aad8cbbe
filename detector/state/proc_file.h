// Reading /proc (and cgroup files) without exceptions. A process may exit while its files are
// read: read(2) then fails with ESRCH, which std::ifstream turns into an exception thrown from
// the middle of a stream read (libstdc++'s basic_filebuf::underflow). Anything a watched
// process can time, it can use to crash the detector; these return what was read, or "".
#pragma once

#include <cstddef>
#include <string>

namespace riposte::detector {

// At most max bytes of the file; "" when it cannot be opened.
std::string read_proc_file(const std::string& path, size_t max = 1 << 20);
// A symlink's target (/proc/<pid>/exe, cwd, fd/N); "" when unreadable.
std::string read_proc_link(const std::string& path);

}  // namespace riposte::detector
