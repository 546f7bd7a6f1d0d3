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
