/*
 * Sends bytes with one descriptor attached (SCM_RIGHTS) on a connected unix socket.
 * Node cannot attach a descriptor to a write; QEMU's monitor takes a file only so
 * (QMP add-fd), and the helper hands QEMU the descriptor it checked, never a path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <node_api.h>

napi_value send_with_descriptor(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t sock, fd;
  void *data;
  size_t len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_value_int32(env, argv[0], &sock) != napi_ok || sock < 0 ||
      napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok || len == 0 ||
      napi_get_value_int32(env, argv[2], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "expected (socket fd, non-empty Buffer, descriptor)");
    return NULL;
  }
  struct iovec iov = { .iov_base = data, .iov_len = len };
  char control[CMSG_SPACE(sizeof(int))];
  memset(control, 0, sizeof control);
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  ssize_t sent;
  do {
    sent = sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0 || (size_t)sent != len) {
    char text[160];
    snprintf(text, sizeof text, "sendmsg: %s", sent < 0 ? strerror(errno) : "partial write");
    napi_throw_error(env, "ESENDFD", text);
    return NULL;
  }
  return NULL;
}

/*
 * Reads what a caller sent with one descriptor attached (SCM_RIGHTS), without waiting:
 * null when nothing has arrived yet, else { bytes, fd } (fd -1 when none came with them).
 * libuv reads its sockets with read(2), which drops attached descriptors, so the helper
 * takes the caller's file on a socket that Node never reads.
 */
napi_value receive_with_descriptor(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t sock;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &sock) != napi_ok || sock < 0) {
    napi_throw_type_error(env, NULL, "expected (socket fd)");
    return NULL;
  }
  char byte[64];
  struct iovec iov = { .iov_base = byte, .iov_len = sizeof byte };
  char control[CMSG_SPACE(sizeof(int))];
  memset(control, 0, sizeof control);
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
  ssize_t got;
  do {
    got = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  napi_value result;
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    napi_get_null(env, &result);
    return result;
  }
  if (got < 0) {
    char text[160];
    snprintf(text, sizeof text, "recvmsg: %s", strerror(errno));
    napi_throw_error(env, "ERECVFD", text);
    return NULL;
  }
  int fd = -1;
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg && cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS && cmsg->cmsg_len == CMSG_LEN(sizeof(int))) {
    memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  }
  if (msg.msg_flags & MSG_CTRUNC) {
    /* More descriptors than one were sent: the kernel closed the rest; refuse the lot. */
    if (fd >= 0) close(fd);
    fd = -2;
  }
  napi_value bytes, descriptor;
  napi_create_object(env, &result);
  napi_create_int32(env, (int32_t)got, &bytes);
  napi_create_int32(env, fd, &descriptor);
  napi_set_named_property(env, result, "bytes", bytes);
  napi_set_named_property(env, result, "fd", descriptor);
  return result;
}
