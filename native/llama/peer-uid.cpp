// peerUid(fd): the user id of the process at the other end of a connected Unix socket, as the
// kernel recorded it when the connection was made (SO_PEERCRED on Linux, getpeereid on macOS and
// the BSDs). The resident server refuses a connection from any other user with it. Returns
// undefined where the platform has no such call (Windows: the named pipe's ACL does that job),
// and throws a USAGE CmdaiError for a bad or unconnected descriptor.
#include "peer-uid.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "addon-env.h"

#if defined(__linux__)
#    include <sys/socket.h>
#    include <sys/types.h>
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
#    include <sys/types.h>
#    include <unistd.h>
#endif

namespace cmdai {

Napi::Value PeerUid(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (!info[0].IsNumber()) {
        throw MakeError(env, "USAGE", "peerUid(fd): fd must be a file descriptor number");
    }
    const double value = info[0].As<Napi::Number>().DoubleValue();
    if (!(value >= 0 && value <= 0x7fffffff) || value != static_cast<double>(static_cast<int>(value))) {
        throw MakeError(env, "USAGE", "peerUid(fd): fd must be a whole number from 0");
    }
    const int fd = static_cast<int>(value);
#if defined(__linux__)
    struct ucred credentials {};
    socklen_t length = sizeof(credentials);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
        throw MakeError(env, "USAGE",
                        std::string("peerUid(fd): not a connected Unix socket (") + std::strerror(errno) + ")");
    }
    return Napi::Number::New(env, static_cast<double>(credentials.uid));
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
    uid_t uid = 0;
    gid_t gid = 0;
    if (getpeereid(fd, &uid, &gid) != 0) {
        throw MakeError(env, "USAGE",
                        std::string("peerUid(fd): not a connected Unix socket (") + std::strerror(errno) + ")");
    }
    return Napi::Number::New(env, static_cast<double>(uid));
#else
    (void)fd;
    return env.Undefined();
#endif
}

}  // namespace cmdai
