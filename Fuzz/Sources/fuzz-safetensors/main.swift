import FuzzSupport

FuzzDriver.run { data, size in fuzzSafetensors(data, size) }
