/*
 * rtpio: batched UDP I/O for Teller's media workers (ADR 016), written against Node-API.
 *
 * One I/O set per media worker: an epoll instance over the worker's RTP sockets. The worker
 * calls recvAll once per 20 ms tick, which drains every ready socket with recvmmsg and packs
 * each datagram into the caller's buffer, and sendBatch once per tick with every packet the
 * tick queued. No JavaScript callback and no allocation per packet; one recvmmsg per ready
 * socket instead of libuv's recvmsg per datagram plus an EAGAIN read per wake-up.
 *
 * IPv4 only (AF_INET): Teller's media engine binds an IPv4 address; the JS side keeps dgram for
 * anything else. Linux only (epoll, recvmmsg, SO_TIMESTAMPNS).
 *
 * Record layout, both directions, 8-byte aligned (read in JS through Uint32Array and
 * Float64Array views of the same buffer, in the machine's byte order):
 *   word 0  handle (the socket's fd, checked against the set's own sockets)
 *   word 1  IPv4 address as a number (a.b.c.d = a<<24 | b<<16 | c<<8 | d)
 *   word 2  UDP port
 *   word 3  datagram length
 *   bytes 16..23  receive: arrival time, ms since the Unix epoch (f64, the kernel's timestamp)
 *                 send: word 4 = errno of a packet that could not be sent, else 0
 *   bytes 24..    the datagram, padded to a multiple of 8
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEADER 24
#define MAX_DATAGRAM 2048 /* larger datagrams (not RTP on an Ethernet path) are dropped */
#define BATCH 64
#define EVENTS 256

typedef struct {
  int epfd;
  int socketReceiveBytes; /* SO_RCVBUF asked for each socket */
  unsigned char *owned; /* owned[fd] = 1 for this set's sockets */
  size_t ownedSize;
  uint64_t truncated;
  uint64_t recvErrors;
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_in addrs[BATCH];
  char ctrl[BATCH][CMSG_SPACE(sizeof(struct timespec))];
  unsigned char bufs[BATCH][MAX_DATAGRAM];
  struct epoll_event events[EVENTS];
} IoSet;

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != napi_ok) {                                                                       \
      napi_throw_error(env, "RTPIO_NAPI", "rtpio: Node-API call failed: " #call);                  \
      return NULL;                                                                                 \
    }                                                                                              \
  } while (0)

static napi_value throwErrno(napi_env env, const char *what, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  const char *name = strerrorname_np(err);
  napi_throw_error(env, name ? name : "EIO", message);
  return NULL;
}

static void finalizeSet(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  IoSet *set = data;
  for (size_t fd = 0; fd < set->ownedSize; fd++)
    if (set->owned[fd]) close((int)fd);
  close(set->epfd);
  free(set->owned);
  free(set);
}

/* Reads argument i as the set made by createSet. */
static IoSet *argSet(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "RTPIO_ARG", "rtpio: the first argument must be a set from createSet()");
    return NULL;
  }
  return data;
}

static int argInt(napi_env env, napi_value value, int32_t *out, const char *name) {
  if (napi_get_value_int32(env, value, out) != napi_ok) {
    char message[80];
    snprintf(message, sizeof message, "rtpio: %s must be a number", name);
    napi_throw_type_error(env, "RTPIO_ARG", message);
    return 0;
  }
  return 1;
}

/* A Uint8Array's bytes, which must start 8-byte aligned (the JS side reads f64 fields). */
static unsigned char *argBytes(napi_env env, napi_value value, size_t *length) {
  bool is = false;
  napi_typedarray_type type;
  void *data = NULL;
  size_t offset = 0;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, value, &type, length, &data, NULL, &offset) != napi_ok ||
      type != napi_uint8_array || ((uintptr_t)data & 7) != 0) {
    napi_throw_type_error(env, "RTPIO_ARG", "rtpio: the buffer must be an 8-byte aligned Uint8Array");
    return NULL;
  }
  return data;
}

static int owns(IoSet *set, int32_t fd) {
  return fd >= 0 && (size_t)fd < set->ownedSize && set->owned[fd];
}

/*
 * createSet(socketReceiveBytes): a new I/O set (an external; its sockets are closed when it is
 * collected). Each socket asks the kernel for socketReceiveBytes of receive buffer (SO_RCVBUF;
 * the kernel doubles it): small, so that a worker that fell behind finds at most a fraction of a
 * second queued per stream, not seconds of audio to work through before it is on time (ADR 017).
 */
static napi_value createSet(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t socketReceiveBytes = 8 * 1024;
  if (argc >= 1 && !argInt(env, argv[0], &socketReceiveBytes, "socketReceiveBytes")) return NULL;
  if (socketReceiveBytes < 1024) {
    napi_throw_range_error(env, "RTPIO_ARG", "rtpio: createSet needs socketReceiveBytes of 1024 or more");
    return NULL;
  }
  IoSet *set = calloc(1, sizeof *set);
  if (!set) return throwErrno(env, "rtpio: createSet", ENOMEM);
  set->socketReceiveBytes = socketReceiveBytes;
  set->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (set->epfd < 0) {
    int err = errno;
    free(set);
    return throwErrno(env, "rtpio: epoll_create1", err);
  }
  for (int i = 0; i < BATCH; i++) {
    set->iov[i].iov_base = set->bufs[i];
    set->iov[i].iov_len = MAX_DATAGRAM;
  }
  napi_value result;
  CHECK(napi_create_external(env, set, finalizeSet, NULL, &result));
  return result;
}

/* open(set, address, port): binds a non-blocking IPv4 UDP socket; returns its handle. */
static napi_value openSocket(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, "RTPIO_ARG", "rtpio: open(set, address, port)");
    return NULL;
  }
  IoSet *set = argSet(env, argv[0]);
  if (!set) return NULL;
  char address[64];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, argv[1], address, sizeof address, &length) != napi_ok) {
    napi_throw_type_error(env, "RTPIO_ARG", "rtpio: address must be a string");
    return NULL;
  }
  int32_t port;
  if (!argInt(env, argv[2], &port, "port")) return NULL;
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (port < 0 || port > 65535 || inet_pton(AF_INET, address, &sin.sin_addr) != 1) {
    napi_throw_error(env, "RTPIO_ARG", "rtpio: open needs an IPv4 address and a port 0-65535");
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throwErrno(env, "rtpio: socket", errno);
  int size = set->socketReceiveBytes;
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
    int err = errno;
    close(fd);
    return throwErrno(env, "rtpio: bind", err);
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  if (epoll_ctl(set->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int err = errno;
    close(fd);
    return throwErrno(env, "rtpio: epoll_ctl", err);
  }
  if ((size_t)fd >= set->ownedSize) {
    size_t grown = (size_t)fd * 2 + 64;
    unsigned char *owned = realloc(set->owned, grown);
    if (!owned) {
      epoll_ctl(set->epfd, EPOLL_CTL_DEL, fd, NULL);
      close(fd);
      return throwErrno(env, "rtpio: open", ENOMEM);
    }
    memset(owned + set->ownedSize, 0, grown - set->ownedSize);
    set->owned = owned;
    set->ownedSize = grown;
  }
  set->owned[fd] = 1;
  napi_value result;
  CHECK(napi_create_int32(env, fd, &result));
  return result;
}

/* Reads (set, handle) and checks that the handle is one of the set's open sockets. */
static int argHandle(napi_env env, napi_callback_info info, IoSet **set, int32_t *fd) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, "RTPIO_ARG", "rtpio: expected (set, handle)");
    return 0;
  }
  *set = argSet(env, argv[0]);
  if (!*set || !argInt(env, argv[1], fd, "handle")) return 0;
  if (!owns(*set, *fd)) {
    napi_throw_error(env, "RTPIO_BAD_HANDLE", "rtpio: not an open socket of this set");
    return 0;
  }
  return 1;
}

/* localPort(set, handle): the port the socket is bound to. */
static napi_value localPort(napi_env env, napi_callback_info info) {
  IoSet *set;
  int32_t fd;
  if (!argHandle(env, info, &set, &fd)) return NULL;
  struct sockaddr_in sin;
  socklen_t len = sizeof sin;
  if (getsockname(fd, (struct sockaddr *)&sin, &len) != 0) return throwErrno(env, "rtpio: getsockname", errno);
  napi_value result;
  CHECK(napi_create_int32(env, ntohs(sin.sin_port), &result));
  return result;
}

/* close(set, handle): stops watching the socket and closes it. */
static napi_value closeSocket(napi_env env, napi_callback_info info) {
  IoSet *set;
  int32_t fd;
  if (!argHandle(env, info, &set, &fd)) return NULL;
  epoll_ctl(set->epfd, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
  set->owned[fd] = 0;
  return NULL;
}

static double arrivalMs(struct msghdr *hdr) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(hdr); c; c = CMSG_NXTHDR(hdr, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec ts;
      memcpy(&ts, CMSG_DATA(c), sizeof ts);
      return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
    }
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

static size_t padded(size_t n) { return (n + 7) & ~(size_t)7; }

/*
 * recvAll(set, buffer): every datagram waiting on the set's sockets, packed into buffer.
 * Returns how many; negated when the buffer filled up before every socket was drained (call
 * again: epoll is level-triggered, so the rest is still there).
 */
static napi_value recvAll(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, "RTPIO_ARG", "rtpio: recvAll(set, buffer)");
    return NULL;
  }
  IoSet *set = argSet(env, argv[0]);
  if (!set) return NULL;
  size_t cap = 0;
  unsigned char *out = argBytes(env, argv[1], &cap);
  if (!out) return NULL;
  if (cap < HEADER + MAX_DATAGRAM) {
    napi_throw_range_error(env, "RTPIO_ARG", "rtpio: the receive buffer must hold at least 2072 bytes");
    return NULL;
  }
  size_t used = 0;
  int32_t count = 0;
  int full = 0;
  for (;;) {
    int ready = epoll_wait(set->epfd, set->events, EVENTS, 0);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return throwErrno(env, "rtpio: epoll_wait", errno);
    }
    for (int e = 0; e < ready && !full; e++) {
      int fd = set->events[e].data.fd;
      for (;;) {
        size_t room = (cap - used) / (HEADER + MAX_DATAGRAM);
        if (room == 0) {
          full = 1;
          break;
        }
        unsigned int vlen = room < BATCH ? (unsigned int)room : BATCH;
        for (unsigned int i = 0; i < vlen; i++) {
          struct msghdr *h = &set->msgs[i].msg_hdr;
          h->msg_name = &set->addrs[i];
          h->msg_namelen = sizeof set->addrs[i];
          h->msg_iov = &set->iov[i];
          h->msg_iovlen = 1;
          h->msg_control = set->ctrl[i];
          h->msg_controllen = sizeof set->ctrl[i];
          h->msg_flags = 0;
        }
        int got = recvmmsg(fd, set->msgs, vlen, MSG_DONTWAIT, NULL);
        if (got < 0) {
          if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) set->recvErrors++;
          break;
        }
        for (int i = 0; i < got; i++) {
          struct msghdr *h = &set->msgs[i].msg_hdr;
          uint32_t len = set->msgs[i].msg_len;
          if (h->msg_flags & MSG_TRUNC) {
            set->truncated++;
            continue;
          }
          uint32_t words[4] = {(uint32_t)fd, ntohl(set->addrs[i].sin_addr.s_addr),
                               ntohs(set->addrs[i].sin_port), len};
          double at = arrivalMs(h);
          memcpy(out + used, words, sizeof words);
          memcpy(out + used + 16, &at, sizeof at);
          memcpy(out + used + HEADER, set->bufs[i], len);
          used += HEADER + padded(len);
          count++;
        }
        if ((unsigned int)got < vlen) break; /* drained (what arrives meanwhile waits for the next tick) */
      }
    }
    if (full || ready < EVENTS) break;
  }
  napi_value result;
  CHECK(napi_create_int32(env, full ? -count : count, &result));
  return result;
}

/*
 * sendBatch(set, buffer, count): sends count packed packets (consecutive packets of one socket
 * in one sendmmsg). Returns how many could not be sent; each of those has its errno in word 4.
 */
static napi_value sendBatch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, "RTPIO_ARG", "rtpio: sendBatch(set, buffer, count)");
    return NULL;
  }
  IoSet *set = argSet(env, argv[0]);
  if (!set) return NULL;
  size_t cap = 0;
  unsigned char *in = argBytes(env, argv[1], &cap);
  if (!in) return NULL;
  int32_t count;
  if (!argInt(env, argv[2], &count, "count")) return NULL;
  /* Validate the whole batch first, so that a bad record sends nothing rather than half. */
  size_t offsets[BATCH];
  size_t at = 0;
  for (int32_t i = 0; i < count; i++) {
    uint32_t words[4];
    if (at + HEADER > cap) goto bad;
    memcpy(words, in + at, sizeof words);
    if (!owns(set, (int32_t)words[0]) || words[2] > 65535 || words[3] > MAX_DATAGRAM ||
        at + HEADER + words[3] > cap)
      goto bad;
    at += HEADER + padded(words[3]);
  }
  int32_t failed = 0;
  at = 0;
  for (int32_t i = 0; i < count;) {
    /* A run of packets from one socket, at most BATCH long. */
    int32_t fd;
    memcpy(&fd, in + at, sizeof fd);
    int n = 0;
    size_t cursor = at;
    while (i + n < count && n < BATCH) {
      int32_t next;
      memcpy(&next, in + cursor, sizeof next);
      if (next != fd) break;
      uint32_t words[4];
      memcpy(words, in + cursor, sizeof words);
      set->addrs[n] = (struct sockaddr_in){.sin_family = AF_INET,
                                           .sin_port = htons((uint16_t)words[2]),
                                           .sin_addr.s_addr = htonl(words[1])};
      set->iov[n].iov_base = in + cursor + HEADER;
      set->iov[n].iov_len = words[3];
      struct msghdr *h = &set->msgs[n].msg_hdr;
      memset(h, 0, sizeof *h);
      h->msg_name = &set->addrs[n];
      h->msg_namelen = sizeof set->addrs[n];
      h->msg_iov = &set->iov[n];
      h->msg_iovlen = 1;
      offsets[n] = cursor;
      cursor += HEADER + padded(words[3]);
      n++;
    }
    int sent = 0;
    while (sent < n) {
      int r = n - sent == 1 ? (int)(sendmsg(fd, &set->msgs[sent].msg_hdr, MSG_DONTWAIT) >= 0 ? 1 : -1)
                            : sendmmsg(fd, set->msgs + sent, (unsigned int)(n - sent), MSG_DONTWAIT);
      if (r > 0) {
        for (int k = sent; k < sent + r; k++) memset(in + offsets[k] + 16, 0, 4);
        sent += r;
        continue;
      }
      /* The packet at `sent` failed (buffer full, unreachable…): mark it and go on with the rest. */
      int32_t err = errno;
      if (err == EINTR) continue;
      memcpy(in + offsets[sent] + 16, &err, sizeof err);
      failed++;
      sent++;
    }
    /* sendmmsg/sendmsg reuse iov/addrs of the receive side only within this call. */
    for (int k = 0; k < n; k++) {
      set->iov[k].iov_base = set->bufs[k];
      set->iov[k].iov_len = MAX_DATAGRAM;
    }
    i += n;
    at = cursor;
  }
  napi_value result;
  CHECK(napi_create_int32(env, failed, &result));
  return result;
bad:
  napi_throw_range_error(env, "RTPIO_ARG", "rtpio: sendBatch: a record is malformed or names a foreign handle");
  return NULL;
}

/* counters(set): [datagrams dropped as too large, receive errors]. */
static napi_value counters(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  IoSet *set = argc < 1 ? NULL : argSet(env, argv[0]);
  if (!set) return NULL;
  napi_value result, a, b;
  CHECK(napi_create_array_with_length(env, 2, &result));
  CHECK(napi_create_double(env, (double)set->truncated, &a));
  CHECK(napi_create_double(env, (double)set->recvErrors, &b));
  CHECK(napi_set_element(env, result, 0, a));
  CHECK(napi_set_element(env, result, 1, b));
  return result;
}

/*
 * schedule(priority): puts the calling thread (a media worker) on SCHED_RR at this realtime
 * priority (1-99), or back on SCHED_OTHER for 0. Returns 0, or the errno when the process may
 * not (EPERM without CAP_SYS_NICE or an RLIMIT_RTPRIO that allows it). ADR 017.
 */
static napi_value schedule(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t priority;
  if (argc < 1) {
    napi_throw_type_error(env, "RTPIO_ARG", "rtpio: schedule(priority)");
    return NULL;
  }
  if (!argInt(env, argv[0], &priority, "priority")) return NULL;
  if (priority < 0 || priority > 99) {
    napi_throw_range_error(env, "RTPIO_ARG", "rtpio: schedule needs a priority 0-99");
    return NULL;
  }
  struct sched_param param = {.sched_priority = priority};
  int err = pthread_setschedparam(pthread_self(), priority > 0 ? SCHED_RR : SCHED_OTHER, &param);
  napi_value result;
  CHECK(napi_create_int32(env, err, &result));
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"createSet", NULL, createSet, NULL, NULL, NULL, napi_enumerable, NULL},
      {"open", NULL, openSocket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"localPort", NULL, localPort, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, closeSocket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"recvAll", NULL, recvAll, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendBatch", NULL, sendBatch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"counters", NULL, counters, NULL, NULL, NULL, napi_enumerable, NULL},
      {"schedule", NULL, schedule, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
