/*
 * nova-capsule-shim: the per-capsule shim (conmon's job), in C so that starting a capsule
 * costs little more than `runc run` itself. A detached process, the parent of `runc run`:
 * it owns the container's stdout/stderr pipes, writes them as timestamped JSON lines into
 * rotated log files, watches the memory cgroup for OOM kills, and records how the run
 * ended in an exit file, so the helper can restart (or be SIGKILLed) meanwhile. It also
 * mounts the capsule's overlay rootfs for the run: a syscall here instead of a `mount`
 * process on the helper's start path. The helper unmounts it once it has recorded the
 * exit (unmounting syncs the upper filesystem, too slow to wait for before the record).
 * `--launcher` makes it the helper's long-lived starter of shims (see launcher() below).
 *
 * The on-disk formats and the argv are defined once, in TypeScript:
 * helper/src/capsule/shim-protocol.ts (ShimSpec -> shimArgv, ShimExit, StoredLogLine).
 * Plain libc and Linux syscalls only; built by helper/native/capsule-shim/build.mjs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Long lines are cut so memory stays bounded (bytes, never inside a UTF-8 sequence);
   MAX_LINE_BYTES in shim-protocol.ts. */
#define MAX_LINE 16384
/* After runc ends, how long stray holders of the log pipes may keep them open. */
#define DRAIN_AFTER_EXIT_MS 2000
#define RUNTIME_ERROR_MAX 4096

struct spec {
  const char *runtime;
  const char *runtime_root;
  const char *bundle;
  const char *id;
  const char *pid_file;
  const char *exit_file;
  const char *log_file;
  long long max_log_bytes;
  long long max_log_files;
  long long first_seq;
  const char *memory_cgroup_dir;  /* cgroup v1 memory dir, or NULL */
  const char *unified_cgroup_dir; /* cgroup v2 dir, or NULL */
  const char *overlay_lower;      /* the overlay rootfs, or all four NULL */
  const char *overlay_upper;
  const char *overlay_work;
  const char *overlay_target;
};

static struct spec spec;

/* ---- time and JSON ---- */

static void iso_now(char out[32]) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F; /* no UTF-16 surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else return 0;
  if (n < len || s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; i++)
    if ((s[i] & 0xC0) != 0x80) return 0;
  return len;
}

/*
 * Appends s as the inside of a JSON string, as JSON.stringify writes it; invalid UTF-8
 * becomes U+FFFD so every line stays valid JSON. out needs 6 * n bytes at most.
 */
static size_t json_escape(char *out, const char *in, size_t n) {
  const unsigned char *s = (const unsigned char *)in;
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    if (c < 0x80) {
      const char *esc = NULL;
      switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default: break;
      }
      if (esc) {
        memcpy(out + o, esc, 2);
        o += 2;
      } else if (c < 0x20) {
        o += (size_t)sprintf(out + o, "\\u%04x", c);
      } else {
        out[o++] = (char)c;
      }
      i++;
      continue;
    }
    size_t len = utf8_len(s + i, n - i);
    if (len == 0) {
      memcpy(out + o, "\xEF\xBF\xBD", 3);
      o += 3;
      i++;
    } else {
      memcpy(out + o, s + i, len);
      o += len;
      i += len;
    }
  }
  return o;
}

static bool write_all(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    buf += w;
    n -= (size_t)w;
  }
  return true;
}

/* ---- the rotating log ---- */

static int log_fd = -1;
static long long log_size;
static long long log_seq;

static bool log_open(void) {
  log_fd = open(spec.log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (log_fd < 0) return false;
  struct stat st;
  log_size = fstat(log_fd, &st) == 0 ? (long long)st.st_size : 0;
  return true;
}

static void log_rotate(void) {
  char from[PATH_MAX], to[PATH_MAX];
  close(log_fd);
  for (long long i = spec.max_log_files - 1; i >= 1; i--) {
    if (i == 1) snprintf(from, sizeof from, "%s", spec.log_file);
    else snprintf(from, sizeof from, "%s.%lld", spec.log_file, i - 1);
    snprintf(to, sizeof to, "%s.%lld", spec.log_file, i);
    if (access(from, F_OK) == 0) rename(from, to);
  }
  log_fd = open(spec.log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  log_size = 0;
}

static char line_buf[6 * MAX_LINE + 128];

/* One StoredLogLine: {"n":SEQ,"t":ISO,"s":STREAM,"m":TEXT} and a newline. */
static void log_write(const char *stream, const char *text, size_t n) {
  char at[32];
  iso_now(at);
  int head = snprintf(line_buf, sizeof line_buf, "{\"n\":%lld,\"t\":\"%s\",\"s\":\"%s\",\"m\":\"", log_seq++, at, stream);
  size_t len = (size_t)head + json_escape(line_buf + head, text, n);
  memcpy(line_buf + len, "\"}\n", 3);
  len += 3;
  if (log_size + (long long)len > spec.max_log_bytes && log_size > 0) log_rotate();
  /* A full disk must not stall the container: the line is dropped, the pipe kept drained. */
  if (log_fd >= 0 && write_all(log_fd, line_buf, len)) log_size += (long long)len;
}

/* ---- line splitting and runc's own complaints ---- */

static char runtime_error[RUNTIME_ERROR_MAX];

static bool starts_with(const char *s, size_t n, const char *prefix) {
  size_t p = strlen(prefix);
  return n >= p && memcmp(s, prefix, p) == 0;
}

/* runc reports its own failures on stderr as logfmt/JSON lines; the last one is kept. */
static void note_runtime_error(const char *s, size_t n) {
  bool is_error = starts_with(s, n, "time=") || starts_with(s, n, "{\"level\"") || starts_with(s, n, "runc run failed") ||
                  starts_with(s, n, "runc create failed") || memmem(s, n, "level=error", 11) != NULL;
  if (!is_error) return;
  size_t keep = n < RUNTIME_ERROR_MAX - 1 ? n : RUNTIME_ERROR_MAX - 1;
  memcpy(runtime_error, s, keep);
  runtime_error[keep] = '\0';
}

struct stream {
  const char *name;
  int fd;
  char buf[MAX_LINE + 1];
  size_t len;
};

static void emit_line(struct stream *st, const char *s, size_t n) {
  if (strcmp(st->name, "stderr") == 0) note_runtime_error(s, n);
  log_write(st->name, s, n);
}

static void stream_push(struct stream *st, const char *data, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char c = data[i];
    if (c == '\n') {
      size_t len = st->len;
      if (len > 0 && st->buf[len - 1] == '\r') len--;
      emit_line(st, st->buf, len);
      st->len = 0;
      continue;
    }
    st->buf[st->len++] = c;
    if (st->len > MAX_LINE) {
      size_t cut = MAX_LINE;
      while (cut > MAX_LINE - 3 && ((unsigned char)st->buf[cut] & 0xC0) == 0x80) cut--;
      emit_line(st, st->buf, cut);
      memmove(st->buf, st->buf + cut, st->len - cut);
      st->len -= cut;
    }
  }
}

static void stream_close(struct stream *st) {
  if (st->fd < 0) return;
  close(st->fd);
  st->fd = -1;
  if (st->len > 0) emit_line(st, st->buf, st->len);
  st->len = 0;
}

static void stream_read(struct stream *st) {
  static char chunk[65536];
  ssize_t r = read(st->fd, chunk, sizeof chunk);
  if (r > 0) stream_push(st, chunk, (size_t)r);
  else if (r == 0 || (errno != EINTR && errno != EAGAIN)) stream_close(st);
}

/* ---- OOM kills ---- */

static bool oom_killed;
static int oom_eventfd = -1;     /* v1: signalled on an OOM and when the cgroup goes away */
static int oom_inotify = -1;     /* v2: memory.events modified */
static char oom_file[PATH_MAX];  /* the file that counts OOM kills */

/* The `key N` value in a cgroup keyed file; -1 when the file is gone (cgroup removed). */
static long long read_keyed(const char *path, const char *key) {
  char buf[4096];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t r = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (r < 0) return -1;
  buf[r] = '\0';
  size_t k = strlen(key);
  for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    if (strncmp(line, key, k) == 0 && line[k] == ' ') return strtoll(line + k + 1, NULL, 10);
  }
  return 0;
}

/*
 * Starts watching once the container exists (its cgroup is made before the pid file).
 * v1: an eventfd on memory.oom_control through cgroup.event_control; v2: inotify on
 * memory.events. The counter is read now too, for an OOM that came before the watch.
 */
static void oom_attach(void) {
  char ctl[PATH_MAX], events[PATH_MAX];
  if (spec.memory_cgroup_dir) {
    snprintf(oom_file, sizeof oom_file, "%s/memory.oom_control", spec.memory_cgroup_dir);
    snprintf(ctl, sizeof ctl, "%s/cgroup.event_control", spec.memory_cgroup_dir);
    int cfd = open(oom_file, O_RDONLY | O_CLOEXEC);
    if (cfd >= 0) {
      int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
      int wfd = open(ctl, O_WRONLY | O_CLOEXEC);
      char line[64];
      int n = snprintf(line, sizeof line, "%d %d", efd, cfd);
      bool ok = efd >= 0 && wfd >= 0 && write_all(wfd, line, (size_t)n);
      if (wfd >= 0) close(wfd);
      close(cfd);
      if (ok) {
        oom_eventfd = efd;
        if (read_keyed(oom_file, "oom_kill") > 0) oom_killed = true;
        return;
      }
      if (efd >= 0) close(efd);
    }
  }
  if (spec.unified_cgroup_dir) {
    snprintf(events, sizeof events, "%s/memory.events", spec.unified_cgroup_dir);
    int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ifd >= 0 && inotify_add_watch(ifd, events, IN_MODIFY) >= 0) {
      snprintf(oom_file, sizeof oom_file, "%s", events);
      oom_inotify = ifd;
      if (read_keyed(oom_file, "oom_kill") > 0) oom_killed = true;
      return;
    }
    if (ifd >= 0) close(ifd);
  }
  oom_file[0] = '\0';
}

static void oom_stop(void) {
  if (oom_eventfd >= 0) close(oom_eventfd);
  if (oom_inotify >= 0) close(oom_inotify);
  oom_eventfd = oom_inotify = -1;
}

/*
 * v1 signals the eventfd on an OOM (just before the kill) and once more when the cgroup
 * is removed. A signal while the cgroup is still there is an OOM; once it is gone, two
 * or more signals mean one of them was.
 */
static void oom_check_v1(void) {
  uint64_t count = 0;
  if (read(oom_eventfd, &count, sizeof count) != (ssize_t)sizeof count || count == 0) return;
  if (read_keyed(oom_file, "oom_kill") >= 0 || count >= 2) oom_killed = true;
  else oom_stop();
}

static void oom_check_v2(void) {
  char buf[4096];
  while (read(oom_inotify, buf, sizeof buf) > 0) {
  }
  long long kills = read_keyed(oom_file, "oom_kill");
  if (kills > 0) oom_killed = true;
  else if (kills < 0) oom_stop();
}

/* ---- the exit record ---- */

static bool write_exit(bool started, int status, bool exited_normally, const char *at) {
  static char json[8 * RUNTIME_ERROR_MAX + 512];
  char code[32] = "null", signal[48] = "null";
  if (exited_normally) snprintf(code, sizeof code, "%d", status);
  else {
    const char *abbrev = sigabbrev_np(status);
    if (abbrev) snprintf(signal, sizeof signal, "\"SIG%s\"", abbrev);
    else snprintf(signal, sizeof signal, "\"SIG%d\"", status);
  }
  int n = snprintf(json, sizeof json, "{\"started\":%s,\"exitCode\":%s,\"signal\":%s,\"oomKilled\":%s,\"at\":\"%s\",\"runtimeError\":",
                   started ? "true" : "false", code, signal, oom_killed ? "true" : "false", at);
  size_t len = (size_t)n;
  if (started) {
    memcpy(json + len, "null", 4);
    len += 4;
  } else {
    char fallback[RUNTIME_ERROR_MAX];
    const char *msg = runtime_error;
    if (!msg[0]) {
      if (exited_normally) snprintf(fallback, sizeof fallback, "%s exited with %d", spec.runtime, status);
      else snprintf(fallback, sizeof fallback, "%s exited with %s", spec.runtime, signal);
      msg = fallback;
    }
    json[len++] = '"';
    len += json_escape(json + len, msg, strlen(msg));
    json[len++] = '"';
  }
  memcpy(json + len, "}\n", 2);
  len += 2;

  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s.tmp", spec.exit_file);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  /* No fsync (it was a journal commit between runc's exit and the helper's record): the
     rename keeps the record whole for the helper, even for one SIGKILLed meanwhile (the page
     cache outlives it), and the helper's own fsynced capsule record is where the exit becomes
     durable. A power cut before that ends the run too; the helper then records it as lost. */
  bool ok = write_all(fd, json, len);
  close(fd);
  return ok && rename(tmp, spec.exit_file) == 0;
}

/* Setup failed before runc ran: say so in the exit record, where the helper looks. */
static int fail_start(const char *what, int err) {
  char at[32];
  iso_now(at);
  snprintf(runtime_error, sizeof runtime_error, "nova-capsule-shim: %s: %s", what, strerror(err));
  write_exit(false, 127, true, at);
  return 1;
}

/* ---- the overlay rootfs ---- */

static bool overlay_mount(void) {
  if (!spec.overlay_target) return true;
  char data[3 * PATH_MAX + 64];
  int n = snprintf(data, sizeof data, "lowerdir=%s,upperdir=%s,workdir=%s", spec.overlay_lower, spec.overlay_upper, spec.overlay_work);
  if (n < 0 || (size_t)n >= sizeof data) {
    errno = ENAMETOOLONG;
    return false;
  }
  return mount("overlay", spec.overlay_target, "overlay", 0, data) == 0;
}

/* ---- arguments ---- */

static bool parse_number(const char *s, long long min, long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *s == '\0' || *end != '\0' || v < min) return false;
  *out = v;
  return true;
}

static bool parse_args(int argc, char **argv) {
  spec.max_log_bytes = -1;
  spec.max_log_files = -1;
  spec.first_seq = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--runtime")) spec.runtime = v;
    else if (!strcmp(k, "--runtime-root")) spec.runtime_root = v;
    else if (!strcmp(k, "--bundle")) spec.bundle = v;
    else if (!strcmp(k, "--id")) spec.id = v;
    else if (!strcmp(k, "--pid-file")) spec.pid_file = v;
    else if (!strcmp(k, "--exit-file")) spec.exit_file = v;
    else if (!strcmp(k, "--log-file")) spec.log_file = v;
    else if (!strcmp(k, "--max-log-bytes")) {
      if (!parse_number(v, 1, &spec.max_log_bytes)) return false;
    } else if (!strcmp(k, "--max-log-files")) {
      if (!parse_number(v, 1, &spec.max_log_files)) return false;
    } else if (!strcmp(k, "--first-seq")) {
      if (!parse_number(v, 0, &spec.first_seq)) return false;
    } else if (!strcmp(k, "--memory-cgroup-dir")) spec.memory_cgroup_dir = v;
    else if (!strcmp(k, "--unified-cgroup-dir")) spec.unified_cgroup_dir = v;
    else if (!strcmp(k, "--overlay-lower")) spec.overlay_lower = v;
    else if (!strcmp(k, "--overlay-upper")) spec.overlay_upper = v;
    else if (!strcmp(k, "--overlay-work")) spec.overlay_work = v;
    else if (!strcmp(k, "--overlay-target")) spec.overlay_target = v;
    else {
      fprintf(stderr, "nova-capsule-shim: unknown option %s\n", k);
      return false;
    }
  }
  int overlay_parts = !!spec.overlay_lower + !!spec.overlay_upper + !!spec.overlay_work + !!spec.overlay_target;
  if (overlay_parts != 0 && overlay_parts != 4) return false;
  return argc % 2 == 1 && spec.runtime && spec.runtime_root && spec.bundle && spec.id && spec.pid_file && spec.exit_file &&
         spec.log_file && spec.max_log_bytes > 0 && spec.max_log_files > 0 && spec.first_seq >= 0;
}

/* ---- main ---- */

static const int IGNORED_SIGNALS[] = {SIGTERM, SIGINT, SIGHUP, SIGPIPE};

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct run_end {
  bool reaped;
  bool exited_normally;
  int status; /* the exit code, or the signal when !exited_normally */
  char at[32];
  long long reaped_at;
};

/* The moment the run ended, not when the record is written: the helper compares it with
   the time a stop was asked to tell an exit from a stop. */
static void run_ended(struct run_end *r, int ws) {
  iso_now(r->at);
  r->reaped = true;
  r->reaped_at = now_ms();
  r->exited_normally = WIFEXITED(ws);
  r->status = r->exited_normally ? WEXITSTATUS(ws) : WTERMSIG(ws);
}

static void run_child(int out_fd, int err_fd, int report_fd) {
  /* runc gets fds 0-2 only, default signal handling and a clean environment. */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (size_t i = 0; i < sizeof IGNORED_SIGNALS / sizeof IGNORED_SIGNALS[0]; i++) signal(IGNORED_SIGNALS[i], SIG_DFL);
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC); /* dup2 clears it on fd 0 only */
  if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) {
    int e = errno;
    (void)!write(report_fd, &e, sizeof e);
    _exit(127);
  }
  char *const argv[] = {(char *)spec.runtime, "--root", (char *)spec.runtime_root, "run", "--bundle", (char *)spec.bundle,
                        "--pid-file", (char *)spec.pid_file, (char *)spec.id, NULL};
  char *const envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL};
  execvpe(spec.runtime, argv, envp);
  int e = errno;
  (void)!write(report_fd, &e, sizeof e);
  _exit(127);
}

/* ---- the launcher ---- */

/*
 * `nova-capsule-shim --launcher`: started once by the helper, it starts every shim, so the
 * helper does not fork itself per start (a fork copies the page tables of all its memory:
 * milliseconds for a Node process, more the bigger it is). Requests come on stdin: the
 * argument count, then that many arguments (argv[0] first), each ending with a NUL. For
 * each, a child leaves the launcher's session and stdio and execs this same binary (never
 * another) with them; the launcher answers "PID\n", or "-ERRNO\n" when it cannot fork.
 * It exits when stdin ends (the helper is gone); the shims it started run on.
 */
#define LAUNCH_MAX_ARGS 64
#define LAUNCH_BUF (LAUNCH_MAX_ARGS * (PATH_MAX + 1) + 32)

static void launch_child(char **args) {
  setsid();
  int devnull = open("/dev/null", O_RDWR);
  if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0) _exit(127);
  if (devnull > 2) close(devnull);
  /* The launcher's SIG_IGN would outlive exec and make the shim's children reap themselves. */
  signal(SIGCHLD, SIG_DFL);
  execv("/proc/self/exe", args);
  _exit(127);
}

/* One request from buf[0..len): its arguments in args (pointing into buf), and its size; 0 when incomplete, -1 when malformed. */
static long parse_request(char *buf, size_t len, char **args) {
  char *nul = memchr(buf, '\0', len);
  if (!nul) return len >= 32 ? -1 : 0;
  long long count;
  if (!parse_number(buf, 1, &count) || count >= LAUNCH_MAX_ARGS) return -1;
  char *p = nul + 1, *end = buf + len;
  for (long long i = 0; i < count; i++) {
    char *z = p < end ? memchr(p, '\0', (size_t)(end - p)) : NULL;
    if (!z) return 0;
    args[i] = p;
    p = z + 1;
  }
  args[count] = NULL;
  return p - buf;
}

static int launcher(void) {
  /* Shims are not waited for here: the kernel reaps them. */
  struct sigaction sa = {.sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT};
  sigaction(SIGCHLD, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  static char buf[LAUNCH_BUF];
  size_t len = 0;
  for (;;) {
    ssize_t r = read(0, buf + len, sizeof buf - len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    len += (size_t)r;
    for (;;) {
      char *args[LAUNCH_MAX_ARGS];
      long used = parse_request(buf, len, args);
      if (used < 0 || (used == 0 && len == sizeof buf)) {
        fprintf(stderr, "nova-capsule-shim --launcher: malformed request\n");
        return 2;
      }
      if (used == 0) break;
      pid_t pid = fork();
      if (pid == 0) launch_child(args);
      char reply[32];
      int n = pid > 0 ? snprintf(reply, sizeof reply, "%d\n", (int)pid) : snprintf(reply, sizeof reply, "-%d\n", errno);
      if (!write_all(1, reply, (size_t)n)) return 1;
      memmove(buf, buf + used, len - (size_t)used);
      len -= (size_t)used;
    }
  }
}

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "--launcher")) return launcher();
  if (!parse_args(argc, argv)) {
    fprintf(stderr,
            "usage: nova-capsule-shim --runtime PATH --runtime-root DIR --bundle DIR --id ID --pid-file FILE --exit-file FILE "
            "--log-file FILE --max-log-bytes N --max-log-files N --first-seq N [--memory-cgroup-dir DIR] [--unified-cgroup-dir DIR] "
            "[--overlay-lower DIR --overlay-upper DIR --overlay-work DIR --overlay-target DIR]\n"
            "   or: nova-capsule-shim --launcher (requests on stdin)\n"
            "(the capsule manager starts this; see helper/src/capsule/shim-protocol.ts)\n");
    return 2;
  }
  /* The shim outlives the helper's session: stop requests go to runc, never to the shim. */
  for (size_t i = 0; i < sizeof IGNORED_SIGNALS / sizeof IGNORED_SIGNALS[0]; i++) signal(IGNORED_SIGNALS[i], SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sig_fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sig_fd < 0) return fail_start("cannot watch for the runtime's exit (signalfd)", errno);

  log_seq = spec.first_seq;
  if (!log_open()) return fail_start("cannot open the log file", errno);
  if (!overlay_mount()) return fail_start("cannot mount the capsule's overlay rootfs", errno);

  /* The pid file appears when the container exists: the moment to watch its cgroup. */
  char pid_dir[PATH_MAX];
  snprintf(pid_dir, sizeof pid_dir, "%s", spec.pid_file);
  char *slash = strrchr(pid_dir, '/');
  const char *pid_name = spec.pid_file;
  if (slash) {
    *slash = '\0';
    pid_name = spec.pid_file + (slash - pid_dir) + 1;
  } else snprintf(pid_dir, sizeof pid_dir, ".");
  int pid_watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (pid_watch >= 0 && inotify_add_watch(pid_watch, pid_dir[0] ? pid_dir : "/", IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    close(pid_watch);
    pid_watch = -1;
  }

  int out_pipe[2], err_pipe[2], report[2];
  if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0)
    return fail_start("cannot make the log pipes", errno);
  pid_t child = fork();
  if (child < 0) return fail_start("cannot fork the runtime", errno);
  if (child == 0) run_child(out_pipe[1], err_pipe[1], report[1]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(report[1]);
  int exec_errno = 0;
  while (read(report[0], &exec_errno, sizeof exec_errno) < 0 && errno == EINTR) {
  }
  close(report[0]);
  if (exec_errno) snprintf(runtime_error, sizeof runtime_error, "cannot run %s: %s", spec.runtime, strerror(exec_errno));

  static struct stream out = {.name = "stdout"}, err = {.name = "stderr"};
  out.fd = out_pipe[0];
  err.fd = err_pipe[0];
  bool attached = false;
  struct run_end run = {.at = "1970-01-01T00:00:00.000Z", .exited_normally = true};

  for (;;) {
    if (!attached && access(spec.pid_file, F_OK) == 0) {
      attached = true;
      oom_attach();
    }
    if (run.reaped && out.fd < 0 && err.fd < 0) break;
    if (run.reaped && now_ms() - run.reaped_at >= DRAIN_AFTER_EXIT_MS) break;

    struct pollfd fds[6];
    int n = 0, i_out = -1, i_err = -1, i_sig = -1, i_pid = -1, i_oom = -1;
    if (out.fd >= 0) i_out = n, fds[n++] = (struct pollfd){.fd = out.fd, .events = POLLIN};
    if (err.fd >= 0) i_err = n, fds[n++] = (struct pollfd){.fd = err.fd, .events = POLLIN};
    if (!run.reaped) i_sig = n, fds[n++] = (struct pollfd){.fd = sig_fd, .events = POLLIN};
    if (!attached && !run.reaped && pid_watch >= 0) i_pid = n, fds[n++] = (struct pollfd){.fd = pid_watch, .events = POLLIN};
    int oom_fd = oom_eventfd >= 0 ? oom_eventfd : oom_inotify;
    if (oom_fd >= 0) i_oom = n, fds[n++] = (struct pollfd){.fd = oom_fd, .events = POLLIN};
    int timeout = -1;
    if (run.reaped) timeout = (int)(DRAIN_AFTER_EXIT_MS - (now_ms() - run.reaped_at));
    else if (!attached && pid_watch < 0) timeout = 20; /* no inotify: look for the pid file now and then */
    if (poll(fds, (nfds_t)n, timeout) < 0) {
      if (errno == EINTR) continue;
      /* Cannot watch any more: still record how runc ends, without its remaining output. */
      int ws;
      if (!run.reaped && waitpid(child, &ws, 0) == child) run_ended(&run, ws);
      break;
    }
    if (i_oom >= 0 && fds[i_oom].revents) {
      if (oom_eventfd >= 0) oom_check_v1();
      else oom_check_v2();
    }
    if (i_out >= 0 && fds[i_out].revents) stream_read(&out);
    if (i_err >= 0 && fds[i_err].revents) stream_read(&err);
    if (i_pid >= 0 && fds[i_pid].revents) {
      char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
      ssize_t r;
      while ((r = read(pid_watch, buf, sizeof buf)) > 0) {
        for (char *p = buf; p < buf + r;) {
          struct inotify_event *ev = (struct inotify_event *)p;
          if (ev->len > 0 && strcmp(ev->name, pid_name) == 0 && !attached) {
            attached = true;
            oom_attach();
          }
          p += sizeof *ev + ev->len;
        }
      }
    }
    if (i_sig >= 0 && fds[i_sig].revents) {
      struct signalfd_siginfo si;
      while (read(sig_fd, &si, sizeof si) > 0) {
      }
      int ws;
      if (waitpid(child, &ws, WNOHANG) == child) run_ended(&run, ws);
    }
  }
  stream_close(&out);
  stream_close(&err);
  /* An OOM notice that raced the exit is already counted in the eventfd: read it now. */
  if (oom_eventfd >= 0) oom_check_v1();
  else if (oom_inotify >= 0) oom_check_v2();
  if (log_fd >= 0) close(log_fd);
  bool started = access(spec.pid_file, F_OK) == 0;
  return write_exit(started, run.status, run.exited_normally, run.at) ? 0 : 1;
}
