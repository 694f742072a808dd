// Release of the plugin SDK (and of cspm-notify itself).
#pragma once

#define CSPM_SDK_VERSION "0.1.0"
