// Keeps the library within glibc 2.28, the floor of torch's own wheels (manylinux_2_28).
//
// libstdc++'s headers (gcc 12, <ext/atomicity.h>) read glibc's `__libc_single_threaded` flag, new in glibc
// 2.32, to skip atomic reference counting in single-threaded processes. Referencing it would make the
// library need GLIBC_2.32 and fail to load on RHEL 8 / Ubuntu 20.04. This hidden definition satisfies those
// references inside the library instead: it stays 0 ("maybe multi-threaded"), so the headers always take the
// atomic path, which is correct everywhere (the flag is only an optimisation). scripts/check_wheel.py checks
// the library's highest glibc symbol version.
extern "C" {
__attribute__((visibility("hidden"))) char __libc_single_threaded = 0;
}
