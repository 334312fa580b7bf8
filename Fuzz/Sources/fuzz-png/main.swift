import FuzzSupport

FuzzDriver.run { data, size in fuzzPNG(data, size) }
