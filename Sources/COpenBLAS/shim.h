#ifndef GEOLENS_COPENBLAS_SHIM_H
#define GEOLENS_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
