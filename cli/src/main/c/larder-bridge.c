/*
 * larder-bridge: connects a larder command (helper, stats, trim, verify) to the per-user larder
 * daemon over a Unix domain socket, so that cmd/go's `larder helper` costs a process spawn and a
 * connect instead of a JVM start.
 *
 * Usage: larder-bridge ROOT JAVA ARG...
 *   ROOT  the clone's root directory (absolute); ROOT/bin/larder is the launcher
 *   JAVA  the java command the launcher resolved; one daemon serves each distinct JAVA string
 *   ARG   larder's arguments, ARG[0] being the command (helper, stats, trim, verify)
 *
 * Whenever the daemon cannot serve this command, the bridge execs ROOT/bin/larder ARG... with
 * LARDER_BRIDGE=0 (the JVM runs the command in-process, as without the bridge) before it has
 * read stdin or written stdout. That happens when the jar is missing or older than a source
 * (the launcher rebuilds it), when the daemon directory is unsafe, when no daemon listens for a
 * command other than helper, and when a daemon cannot be started.
 *
 * Wire format (the Java daemon implements the other end):
 *   hello, client -> daemon: "LRDR", u32 big-endian N, N bytes of NUL-terminated strings:
 *     "1" (protocol version), build id, JAVA, cwd, argc, ARG..., envc, KEY=VALUE...
 *     where build id = "<st_ino>-<st_size>-<mtime ns>" of ROOT/cli/target/larder-all.jar.
 *   frames, daemon -> client: u8 type, u32 big-endian L (at most 16 MiB), L bytes of payload:
 *     'A' accepted (L = 0)          'R' retiring (payload: a reason text)
 *     'O' bytes for stdout          'E' bytes for stderr
 *     'X' exit (payload: s32 big-endian status; the daemon closes the connection after it)
 *   The first frame is 'A' or 'R'. After 'A', the client sends its stdin as raw bytes and half
 *   closes (shutdown SHUT_WR) at stdin's end; the daemon sends 'O', 'E' and finally 'X'.
 *
 * stdout carries exactly the payload bytes of the 'O' frames, nothing else, ever: every message
 * of the bridge goes to stderr. Exit status: the daemon's, 1 for a bridge error or a session
 * the daemon ended early, 2 for a usage error. Only libc is used.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_FRAME (16u << 20)  /* the largest payload a daemon may send */
#define RELAY_BUF (64 * 1024)  /* stdin -> socket and socket -> frames buffers */
#define MAX_RETIRES 3          /* 'R' answers before falling back to the JVM */

static const char *root;       /* ROOT */
static const char *java;       /* JAVA */
static int nargs;              /* count of ARG... */
static char **args;            /* ARG... */
static char jar[PATH_MAX];     /* ROOT/cli/target/larder-all.jar */
static char launcher[PATH_MAX];/* ROOT/bin/larder */

/* A failure of the bridge itself: one line on stderr, exit 1. */
static void die(const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dprintf(2, "larder: bridge: %s\n", msg);
    exit(1);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n);
    if (p == NULL) die("out of memory");
    return p;
}

/* Runs the command with the JVM: exec ROOT/bin/larder ARG... with LARDER_BRIDGE=0. */
static void fallback(void) {
    char **argv = xmalloc(((size_t)nargs + 2) * sizeof *argv);
    argv[0] = launcher;
    for (int i = 0; i < nargs; i++) argv[i + 1] = args[i];
    argv[nargs + 1] = NULL;
    if (setenv("LARDER_BRIDGE", "0", 1) != 0) die("out of memory");
    signal(SIGPIPE, SIG_DFL); /* the JVM helper gets the disposition it would have had */
    execv(launcher, argv);
    die("cannot run %s: %s", launcher, strerror(errno));
}

/* ---- Staleness: is any build input newer than the jar? ---- */

static int newer(const struct stat *st, const struct timespec *ref) {
    return st->st_mtim.tv_sec > ref->tv_sec
        || (st->st_mtim.tv_sec == ref->tv_sec && st->st_mtim.tv_nsec > ref->tv_nsec);
}

/* Whether anything in the directory open at fd (recursively) is newer than ref, leaving out
 * the entry named skip (if not NULL); closes fd. Like `find DIR -newer JAR`: symbolic links are
 * not followed, hidden names count. */
static int tree_newer(int fd, const struct timespec *ref, const char *skip) {
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return 0;
    }
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))) continue;
        if (skip != NULL && strcmp(n, skip) == 0) continue;
        struct stat st;
        if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (newer(&st, ref)) {
            found = 1;
        } else if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd(d), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) found = tree_newer(sub, ref, NULL);
        }
    }
    closedir(d);
    return found;
}

/* The launcher's rule: ROOT/pom.xml, ROOT/x/pom.xml and everything under ROOT/x/src/main, for
 * every non-hidden x, against the jar's mtime; but for cli/src/main/c, this bridge's source,
 * which is no input of the jar (the launcher rebuilds the bridge on its own). */
static int sources_newer(const struct timespec *ref) {
    int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rfd < 0) return 1; /* let the launcher say what is wrong */
    struct stat st;
    int found = fstatat(rfd, "pom.xml", &st, AT_SYMLINK_NOFOLLOW) == 0 && newer(&st, ref);
    DIR *d = found ? NULL : fdopendir(dup(rfd));
    if (d != NULL) {
        struct dirent *e;
        char path[NAME_MAX + 16];
        while (!found && (e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.') continue; /* the shell's * skips hidden names */
            if (e->d_type != DT_DIR && e->d_type != DT_LNK && e->d_type != DT_UNKNOWN) continue;
            snprintf(path, sizeof path, "%s/pom.xml", e->d_name);
            if (fstatat(rfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && newer(&st, ref)) {
                found = 1;
                break;
            }
            snprintf(path, sizeof path, "%s/src/main", e->d_name);
            int fd = openat(rfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) continue;
            if (fstat(fd, &st) == 0 && newer(&st, ref)) {
                close(fd);
                found = 1;
            } else {
                found = tree_newer(fd, ref, strcmp(e->d_name, "cli") == 0 ? "c" : NULL);
            }
        }
        closedir(d);
    }
    close(rfd);
    return found;
}

/* ---- The daemon directory and socket ---- */

/* mkdir -p with mode 0700 for every directory it creates. */
static int mkdirs(const char *dir) {
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) return -1;
        *s = '/';
    }
    if (mkdir(p, 0700) != 0 && errno != EEXIST) return -1;
    return 0;
}

/* Fills dir with the daemon directory, created if missing; falls back (after saying why on
 * stderr) if it is not a private directory of this user. */
static void daemon_dir(char *dir, size_t size) {
    const char *env = getenv("LARDER_DAEMON_DIR");
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    struct stat st;
    int made;
    if (env != NULL && env[0] != '\0') {
        snprintf(dir, size, "%s", env);
        made = mkdirs(dir);
    } else {
        if (xdg != NULL && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode))
            snprintf(dir, size, "%s/larder", xdg);
        else
            snprintf(dir, size, "/tmp/larder-%lu", (unsigned long)getuid());
        made = mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
    }
    char reason[128];
    if (made != 0) {
        snprintf(reason, sizeof reason, "cannot create it: %s", strerror(errno));
    } else if (lstat(dir, &st) != 0) {
        snprintf(reason, sizeof reason, "%s", strerror(errno));
    } else if (S_ISLNK(st.st_mode)) {
        snprintf(reason, sizeof reason, "is a symbolic link, want a directory");
    } else if (!S_ISDIR(st.st_mode)) {
        snprintf(reason, sizeof reason, "is not a directory");
    } else if (st.st_uid != getuid()) {
        snprintf(reason, sizeof reason, "owned by uid %lu, want %lu",
                 (unsigned long)st.st_uid, (unsigned long)getuid());
    } else if ((st.st_mode & 077) != 0) {
        snprintf(reason, sizeof reason, "mode %04o, want no access for group and others",
                 (unsigned)(st.st_mode & 07777));
    } else {
        return;
    }
    dprintf(2, "larder: daemon directory %s: %s; using the JVM helper\n", dir, reason);
    fallback();
}

/* 64-bit FNV-1a of s: the daemon's key, computed the same way by the Java side. */
static uint64_t fnv1a(const char *s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static struct sockaddr_un addr;

/* A connected socket to the daemon, or -1. */
static int connect_daemon(void) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    while (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        if (errno == EINTR) continue;
        close(fd);
        return -1;
    }
    return fd;
}

/* START: runs `ROOT/bin/larder daemon start` with LARDER_JAVA=JAVA, stdin from /dev/null and
 * its stdout on our stderr (our stdout is the protocol's); 0 if it exited 0. */
static int start_daemon(void) {
    size_t n = 0;
    while (environ[n] != NULL) n++;
    char **env = xmalloc((n + 2) * sizeof *env);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "LARDER_JAVA=", 12) != 0) env[m++] = environ[i];
    env[m] = xmalloc(strlen(java) + 13);
    strcpy(env[m], "LARDER_JAVA=");
    strcat(env[m], java);
    env[++m] = NULL;

    char *argv[] = {launcher, "daemon", "start", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    if (posix_spawn_file_actions_init(&fa) != 0 || posix_spawnattr_init(&attr) != 0)
        die("out of memory");
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, 2, 1);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int rc = posix_spawn(&pid, launcher, &fa, &attr, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    free(env[m - 1]);
    free(env);
    if (rc != 0) {
        dprintf(2, "larder: bridge: cannot run %s daemon start: %s\n", launcher, strerror(rc));
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- I/O helpers ---- */

/* Writes all of p to fd, through EINTR, short writes and a non-blocking fd; -1 on error. */
static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd pf = {fd, POLLOUT, 0};
                poll(&pf, 1, -1);
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads exactly n bytes from a blocking fd; -1 on error or end of stream. */
static int read_full(int fd, char *p, size_t n) {
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- The hello ---- */

struct buf {
    char *p;
    size_t len, cap;
};

static void put_bytes(struct buf *b, const char *s, size_t n) {
    if (b->len + n > b->cap) {
        while (b->len + n > b->cap) b->cap = b->cap ? b->cap * 2 : 4096;
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL) die("out of memory");
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* Appends s with its NUL. */
static void put(struct buf *b, const char *s) {
    put_bytes(b, s, strlen(s) + 1);
}

static void put_int(struct buf *b, long v) {
    char s[24];
    snprintf(s, sizeof s, "%ld", v);
    put(b, s);
}

/* The hello frame, made once and sent on every attempt. */
static struct buf hello(const struct stat *jst) {
    struct buf b = {NULL, 0, 0};
    put_bytes(&b, "LRDR\0\0\0\0", 8); /* the length is filled in below */
    put(&b, "1");
    char id[80];
    snprintf(id, sizeof id, "%llu-%lld-%lld", (unsigned long long)jst->st_ino,
             (long long)jst->st_size,
             (long long)jst->st_mtim.tv_sec * 1000000000LL + jst->st_mtim.tv_nsec);
    put(&b, id);
    put(&b, java);
    char *cwd = getcwd(NULL, 0);
    if (cwd == NULL) fallback(); /* a cwd that is gone: let the JVM say so */
    put(&b, cwd);
    free(cwd);
    put_int(&b, nargs);
    for (int i = 0; i < nargs; i++) put(&b, args[i]);
    long envc = 0;
    while (environ[envc] != NULL) envc++;
    put_int(&b, envc);
    for (long i = 0; i < envc; i++) put(&b, environ[i]);
    uint32_t n = (uint32_t)(b.len - 8);
    unsigned char *h = (unsigned char *)b.p + 4;
    h[0] = (unsigned char)(n >> 24);
    h[1] = (unsigned char)(n >> 16);
    h[2] = (unsigned char)(n >> 8);
    h[3] = (unsigned char)n;
    return b;
}

/* Sends the hello and reads the first frame: 'A' returns 1, 'R' or a connection that ends
 * returns 0 (the caller restarts the daemon); anything else is a protocol error. */
static int handshake(int fd, const struct buf *h) {
    if (write_all(fd, h->p, h->len) != 0) return 0;
    unsigned char hdr[5];
    if (read_full(fd, (char *)hdr, sizeof hdr) != 0) return 0;
    uint32_t len = be32(hdr + 1);
    if (len > MAX_FRAME)
        die("protocol error: a frame of %u bytes, the limit is %u", len, MAX_FRAME);
    if (hdr[0] == 'A') {
        if (len != 0) die("protocol error: an 'A' frame of %u bytes, want 0", len);
        return 1;
    }
    if (hdr[0] != 'R')
        die("protocol error: first frame of type 0x%02x, want 'A' or 'R'", hdr[0]);
    char *reason = xmalloc(len ? len : 1);
    read_full(fd, reason, len); /* the reason is only for the daemon's log; ours is the retry */
    free(reason);
    return 0;
}

/* ---- The relay ---- */

/* Moves stdin to the socket and the daemon's frames to stdout and stderr; never returns. */
static void relay(int sock) {
    static char in[RELAY_BUF], rd[RELAY_BUF];
    size_t in_len = 0, in_off = 0;
    int in_open = 1;        /* stdin not yet at its end */
    int send_open = 1;      /* the socket's sending half not yet shut down */
    unsigned char hdr[5];
    size_t hdr_len = 0;     /* bytes of the current frame header seen */
    uint32_t remaining = 0; /* payload bytes of the current frame still to come */
    unsigned char xs[4];
    size_t x_len = 0;

    fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK);
    for (;;) {
        if (!in_open && in_len == 0 && send_open) {
            shutdown(sock, SHUT_WR);
            send_open = 0;
        }
        struct pollfd pf[2];
        pf[0].fd = in_open && in_len == 0 ? 0 : -1;
        pf[0].events = POLLIN;
        pf[1].fd = sock;
        pf[1].events = POLLIN | (in_len > 0 ? POLLOUT : 0);
        pf[0].revents = pf[1].revents = 0;
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR) continue;
            die("poll: %s", strerror(errno));
        }
        if (pf[0].revents) {
            ssize_t r = read(0, in, sizeof in);
            if (r > 0) {
                in_len = (size_t)r;
                in_off = 0;
            } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
                in_open = 0; /* end of stdin, or a stdin that cannot be read: the same to us */
            }
        }
        if (in_len > 0 && (pf[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(sock, in + in_off, in_len - in_off);
            if (w > 0) {
                in_off += (size_t)w;
                if (in_off == in_len) in_len = in_off = 0;
            } else if (w < 0 && errno != EINTR && errno != EAGAIN) {
                /* The daemon stopped reading (it may have sent 'X' already): stop sending,
                 * keep reading its frames. */
                in_len = in_off = 0;
                in_open = 0;
                send_open = 0;
            }
        }
        if (!(pf[1].revents & (POLLIN | POLLERR | POLLHUP))) continue;
        ssize_t r = read(sock, rd, sizeof rd);
        if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (r <= 0) {
            dprintf(2, "larder: the larder daemon ended the session early\n");
            exit(1);
        }
        for (size_t i = 0; i < (size_t)r;) {
            if (hdr_len < 5) {
                hdr[hdr_len++] = (unsigned char)rd[i++];
                if (hdr_len < 5) continue;
                remaining = be32(hdr + 1);
                if (remaining > MAX_FRAME)
                    die("protocol error: a frame of %u bytes, the limit is %u", remaining,
                        MAX_FRAME);
                if (hdr[0] == 'X' && remaining != 4)
                    die("protocol error: an 'X' frame of %u bytes, want 4", remaining);
                if (hdr[0] != 'O' && hdr[0] != 'E' && hdr[0] != 'X')
                    die("protocol error: a frame of type 0x%02x in a session", hdr[0]);
            } else {
                size_t n = (size_t)r - i < remaining ? (size_t)r - i : remaining;
                if (hdr[0] == 'O') {
                    if (write_all(1, rd + i, n) != 0) {
                        /* A full disk, or a reader (cmd/go) that went away: the one line the
                         * JVM prints for it too (Main), and exit 1. */
                        dprintf(2, "larder %s: cannot write stdout: %s\n", args[0], strerror(errno));
                        close(sock);
                        exit(1);
                    }
                } else if (hdr[0] == 'E') {
                    write_all(2, rd + i, n); /* a stderr that is gone loses the message only */
                } else {
                    memcpy(xs + x_len, rd + i, n);
                    x_len += n;
                }
                i += n;
                remaining -= (uint32_t)n;
            }
            if (hdr_len == 5 && remaining == 0) {
                if (hdr[0] == 'X') exit((int)be32(xs));
                hdr_len = 0;
            }
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 4 || argv[1][0] != '/') {
        dprintf(2, "usage: larder-bridge ROOT JAVA COMMAND [ARG...]  (ROOT absolute)\n");
        return 2;
    }
    root = argv[1];
    java = argv[2];
    args = argv + 3;
    nargs = argc - 3;
    if (snprintf(jar, sizeof jar, "%s/cli/target/larder-all.jar", root) >= (int)sizeof jar
        || snprintf(launcher, sizeof launcher, "%s/bin/larder", root) >= (int)sizeof launcher)
        die("ROOT is too long");

    struct stat jst;
    if (stat(jar, &jst) != 0 || sources_newer(&jst.st_mtim)) fallback();

    char dir[PATH_MAX];
    daemon_dir(dir, sizeof dir);
    addr.sun_family = AF_UNIX;
    if (snprintf(addr.sun_path, sizeof addr.sun_path, "%s/daemon-%016llx.sock", dir,
                 (unsigned long long)fnv1a(java)) >= (int)sizeof addr.sun_path) {
        dprintf(2, "larder: daemon directory %s: too long for a socket path; "
                   "using the JVM helper\n", dir);
        fallback();
    }
    signal(SIGPIPE, SIG_IGN);

    int helper = strcmp(args[0], "helper") == 0;
    int sock = connect_daemon();
    if (sock < 0) {
        if (!helper || start_daemon() != 0 || (sock = connect_daemon()) < 0) fallback();
    }
    struct buf h = hello(&jst);
    for (int retires = 0; !handshake(sock, &h); retires++) {
        close(sock);
        if (retires == MAX_RETIRES || start_daemon() != 0 || (sock = connect_daemon()) < 0)
            fallback();
    }
    free(h.p);
    relay(sock);
}
