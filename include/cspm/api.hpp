// Symbol visibility for SDK types shared between cspmd and plugins.
#pragma once

/// Plugins build with -fvisibility=hidden; SDK interfaces stay visible so that one vtable
/// and one typeinfo (anchored in libcspm_sdk.so) serve the host and every plugin, which
/// keeps dynamic_cast and exceptions working across library boundaries.
#define CSPM_API __attribute__((visibility("default")))
