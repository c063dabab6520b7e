// peerUid(fd) for the resident server: who is on the other end of a Unix socket.
#pragma once

#include <napi.h>

namespace cmdai {

Napi::Value PeerUid(const Napi::CallbackInfo & info);

}  // namespace cmdai
