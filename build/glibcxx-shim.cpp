// Provides std::ios_base_library_init(), the one libstdc++ symbol that TorchSharp 0.107.0's
// libLibTorchSharp.so (built with GCC 13) takes from GLIBCXX_3.4.32. GCC 13 emits a call to it
// where older compilers put a static std::ios_base::Init object; doing exactly that here gives
// the same effect (the standard streams are initialized) on an older libstdc++.
#include <ios>

namespace std {
void ios_base_library_init() {
    static ios_base::Init init;
}
}
