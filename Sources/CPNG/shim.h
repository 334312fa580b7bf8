#ifndef GEOLENS_CPNG_SHIM_H
#define GEOLENS_CPNG_SHIM_H
#include <png.h>
#endif
