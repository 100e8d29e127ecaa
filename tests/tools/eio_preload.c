/* A read error in the middle of one file, without FUSE or device-mapper: preloaded into a
   process (LD_PRELOAD), it makes read(2) and pread(2) of the file whose real path is
   $EV_EIO_PATH fail with EIO from byte $EV_EIO_AT on, after a short read up to it. That is
   what a bad disk block or a lost NFS server looks like to a program. Built by
   tests/test_read_errors.py with the system C compiler. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_pread)(int, void *, size_t, off_t);

static int is_target(int fd) {
    const char *want = getenv("EV_EIO_PATH");
    char link[64], path[4096];
    if (!want) return 0;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0) return 0;
    path[n] = 0;
    return strcmp(path, want) == 0;
}

static off_t bad_offset(void) {
    const char *at = getenv("EV_EIO_AT");
    return (off_t)atoll(at ? at : "0");
}

ssize_t pread64(int fd, void *buf, size_t count, off_t at) {
    if (!real_pread)
        real_pread = (ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread64");
    if (is_target(fd)) {
        off_t bad = bad_offset();
        if (at >= bad) { errno = EIO; return -1; }
        if (at + (off_t)count > bad) count = (size_t)(bad - at);
    }
    return real_pread(fd, buf, count, at);
}

ssize_t pread(int fd, void *buf, size_t count, off_t at) {
    return pread64(fd, buf, count, at);
}

ssize_t read(int fd, void *buf, size_t count) {
    if (!real_read) real_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    if (is_target(fd)) {
        off_t at = lseek(fd, 0, SEEK_CUR);
        off_t bad = bad_offset();
        if (at >= bad) { errno = EIO; return -1; }
        if (at + (off_t)count > bad) count = (size_t)(bad - at);
    }
    return real_read(fd, buf, count);
}
