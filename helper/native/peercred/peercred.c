/*
 * Peer credentials of a connected unix socket (SO_PEERCRED).
 * Node has no API for this; the helper authorizes every request by the
 * kernel's record of who is on the other end, never by what the message says.
 * N-API keeps one build loadable by every Node and Electron version.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <node_api.h>

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, "EPEERCRED", msg);
  return NULL;
}

static napi_value get_peer_credentials(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "expected a file descriptor");
    return NULL;
  }
  int32_t fd;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "expected a file descriptor");
    return NULL;
  }
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return throw_errno(env, "getsockopt(SO_PEERCRED)", errno);
  }
  napi_value result, pid, uid, gid;
  napi_create_object(env, &result);
  napi_create_int32(env, cred.pid, &pid);
  napi_create_uint32(env, cred.uid, &uid);
  napi_create_uint32(env, cred.gid, &gid);
  napi_set_named_property(env, result, "pid", pid);
  napi_set_named_property(env, result, "uid", uid);
  napi_set_named_property(env, result, "gid", gid);
  return result;
}

/* fd-passing.c: the same addon, so the helper loads one native module. */
napi_value send_with_descriptor(napi_env env, napi_callback_info info);
napi_value receive_with_descriptor(napi_env env, napi_callback_info info);

NAPI_MODULE_INIT() {
  napi_value fn, send;
  napi_create_function(env, "sendWithDescriptor", NAPI_AUTO_LENGTH, send_with_descriptor, NULL, &send);
  napi_set_named_property(env, exports, "sendWithDescriptor", send);
  napi_value receive;
  napi_create_function(env, "receiveWithDescriptor", NAPI_AUTO_LENGTH, receive_with_descriptor, NULL, &receive);
  napi_set_named_property(env, exports, "receiveWithDescriptor", receive);
  napi_create_function(env, "getPeerCredentials", NAPI_AUTO_LENGTH, get_peer_credentials, NULL, &fn);
  napi_set_named_property(env, exports, "getPeerCredentials", fn);
  return exports;
}
