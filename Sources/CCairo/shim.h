#ifndef GEOLENS_CCAIRO_SHIM_H
#define GEOLENS_CCAIRO_SHIM_H
// Cairo draws GeoLensReport's labelled figures (heatmaps with captions, bar charts, legends);
// text goes through cairo's FreeType/fontconfig backend.
#include <cairo.h>
#endif
