import FuzzSupport

FuzzDriver.run { data, size in fuzzModelCard(data, size) }
